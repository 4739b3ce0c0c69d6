"""Where ft keeps its state. ``FT_HOME`` (or ``--home``) relocates all of it.

Default: ``$XDG_DATA_HOME/ft`` (``~/.local/share/ft``). The library is
``library.db`` inside it; caches and browser profiles live beside it.
"""

from __future__ import annotations

import os
import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import FtError

__all__ = ["DB_NAME", "Settings", "default_home", "load_settings", "resolve_db"]

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


@dataclass
class Settings:
    """What ``config.json`` in the ft home may set; every field has a working default.

    ``models`` maps a task (``default``, ``classify``, ``summarize``, ``ask``,
    ``draft``) to a model name, a GGUF path or an ``http(s)://`` server URL.
    """

    n_ctx: int = 4096
    n_threads: int | None = None
    n_gpu_layers: int = 0
    models: dict[str, str] = field(default_factory=dict)
    embedder: str = "minilm-int8"  # minilm-int8 (ONNX), minilm (sentence-transformers), a .onnx path or a folder
    device: str = "auto"  # where ONNX models run: auto (NPU, then GPU, then CPU), npu, gpu, cpu or a provider
    allow_hosts: tuple[str, ...] = ()  # private addresses fetching may reach anyway (tests: 127.0.0.1)
    arxiv_api: str = "https://export.arxiv.org/api/query"
    arxiv: str = "https://arxiv.org"

    def model_for(self, task: str) -> str | None:
        return self.models.get(task) or self.models.get("default")


def load_settings(home: Path | None = None) -> Settings:
    """The settings in ``<home>/config.json``, or the defaults when there is none."""
    path = (home or default_home()) / "config.json"
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text())
        engine = data.get("engine", {})
        embeddings = data.get("embeddings", {})
        return Settings(
            n_ctx=int(engine.get("n_ctx", 4096)),
            n_threads=engine.get("n_threads"),
            n_gpu_layers=int(engine.get("n_gpu_layers", 0)),
            models=dict(data.get("models", {})),
            embedder=str(embeddings.get("model", "minilm-int8")),
            device=str(embeddings.get("device", "auto")),
            allow_hosts=tuple(data.get("network", {}).get("allow_hosts", ())),
            arxiv_api=str(data.get("network", {}).get("arxiv_api", "https://export.arxiv.org/api/query")),
            arxiv=str(data.get("network", {}).get("arxiv", "https://arxiv.org")),
        )
    except (json.JSONDecodeError, TypeError, ValueError, AttributeError) as exc:
        raise FtError(f"{path}: cannot read the settings ({exc}); fix or delete the file") from exc
