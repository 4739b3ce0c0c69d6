"""Where ft keeps its state. ``FT_HOME`` (or ``--home``) relocates all of it.

Default: ``$XDG_DATA_HOME/ft`` (``~/.local/share/ft``). The library is
``library.db`` inside it; caches and browser profiles live beside it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DB_NAME", "default_home", "resolve_db"]

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
