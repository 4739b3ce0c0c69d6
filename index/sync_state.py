"""Where each network source is up to (``sync_state``): X's cursor, a feed's ETag, a watched query."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from ft.core.dates import now_iso

from .db import atomic

__all__ = ["follow", "following", "load_state", "save_state", "touch"]


def load_state(db: sqlite_utils.Database, source: str) -> tuple[str | None, dict[str, Any]] | None:
    """``(cursor, state)`` saved for ``source``, or ``None`` when it never synced."""
    row = db.execute("SELECT cursor, state FROM sync_state WHERE source = ?", (source,)).fetchone()
    return (row[0], json.loads(row[1]) if row[1] else {}) if row else None


def save_state(db: sqlite_utils.Database, source: str, cursor: str | None, state: dict[str, Any]) -> None:
    with atomic(db):
        db.execute("INSERT OR REPLACE INTO sync_state (source, cursor, state, updated_at) VALUES (?, ?, ?, ?)",
                   (source, cursor, json.dumps(state), now_iso()))


def follow(db: sqlite_utils.Database, source: str) -> None:
    """Start following ``source`` (a watched query) with empty state; following it again changes nothing."""
    with atomic(db):
        db.execute("INSERT OR IGNORE INTO sync_state (source, cursor, state, updated_at) VALUES (?, NULL, '{}', ?)",
                   (source, now_iso()))


def following(db: sqlite_utils.Database, prefix: str) -> list[str]:
    """The sources followed whose names start with ``prefix`` (``papers:``)."""
    return [r[0] for r in db.execute("SELECT source FROM sync_state WHERE source LIKE ? || '%'", (prefix,))]


def touch(db: sqlite_utils.Database, source: str) -> None:
    """Note that ``source`` synced now."""
    with atomic(db):
        db.execute("UPDATE sync_state SET updated_at = ? WHERE source = ?", (now_iso(), source))
