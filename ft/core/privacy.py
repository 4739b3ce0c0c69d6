"""Owner-only state: what ft keeps about you is readable by you alone.

The library (items, labels, sync cursors), the browser profile (a signed-in X session),
the prompt caches (saved KV states hold the text of items) and downloaded media are
private. ft creates their folders 0700 and their files 0600, and every command checks
them first: a path another user can reach gets one warning line naming the fix. ft
never tightens a mode it finds, because the user may have loosened it on purpose.
"""

from __future__ import annotations

import os
import stat
from itertools import takewhile
from pathlib import Path

from .config import DB_NAME

__all__ = ["PRIVATE_DIRS", "loosened", "private_dir", "private_file", "write_private"]

# Relative to the ft home. Not config.json: it holds settings and X's public web-app bearer, no
# secret of the user's, and is the user's own file to keep as they like.
PRIVATE_DIRS = ("browser", "browser/x", "cache", "cache/kv", "media")


def private_dir(path: Path) -> Path:
    """Create ``path`` owner-only (0700), and its missing parents too; an existing folder keeps its mode."""
    missing = list(takewhile(lambda folder: not folder.exists(), (path, *path.parents)))
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and owner-only (0600) unless it exists, so whatever opens it next
    (SQLite, which gives its -wal and -shm files the same mode) starts from 0600."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` owner-only, through a temporary file so no reader sees half of it."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        os.fchmod(f.fileno(), 0o600)  # a temporary file left by a crash may have another mode
        f.write(data)
    os.replace(tmp, path)


def loosened(db: Path) -> list[str]:
    """One warning per private path of the library at ``db`` that other users can reach.

    A few ``stat`` calls, cheap enough for every command; paths that do not exist are skipped.
    The folder holding the library counts only when it is an ft home (the file is ``library.db``).
    """
    home = db.parent
    folders = ([home] if db.name == DB_NAME else []) + [home / name for name in PRIVATE_DIRS]
    folders.append(db.with_suffix(".vectors"))  # the saved vector matrix (index/vectors.py)
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    warnings = []
    for path, wanted in [(f, 0o700) for f in folders] + [(f, 0o600) for f in files]:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            access = "readable" if mode & 0o044 else "accessible"
            warnings.append(f"warning: {path} is {access} by others (mode {mode:04o}); run chmod {wanted:o} {path}")
    return warnings
