"""Where ft keeps its state. ``FT_HOME`` (or ``--home``) relocates all of it.

Default: ``$XDG_DATA_HOME/ft`` (``~/.local/share/ft``). The library is
``library.db`` inside it; caches and browser profiles live beside it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import FtError
from .settings import Settings

__all__ = ["DB_NAME", "default_home", "load_settings", "resolve_db"]

DB_NAME = "library.db"


def default_home() -> Path:
    """``FT_HOME`` if set, else the XDG data directory's ``ft`` folder."""
    if env := os.environ.get("FT_HOME"):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(xdg).expanduser() / "ft"


def resolve_db(where: str | os.PathLike[str] | None = None) -> Path:
    """The library file for ``where``: a ``.db`` file, a home folder, or the default home."""
    if where is None:
        return default_home() / DB_NAME
    path = Path(where).expanduser()
    if path.suffix in (".db", ".sqlite", ".sqlite3") or path.is_file():
        return path
    return path / DB_NAME


def load_settings(home: Path) -> Settings:
    """The settings in ``<home>/config.json``, or the defaults when there is none: the one place it is read."""
    path = home / "config.json"
    if not path.exists():
        return Settings(home)
    try:
        return Settings.from_dict(home, json.loads(path.read_text()))
    except (json.JSONDecodeError, TypeError, ValueError, AttributeError) as exc:
        raise FtError(f"{path}: cannot read the settings ({exc}); fix or delete the file") from exc
