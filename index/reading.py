"""What reading (summaries and answers) reads and keeps: chunk texts, cached notes, summaries."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from ft.core.dates import now_iso

from .db import atomic

__all__ = ["ChunkText", "cached_notes", "chunk_starts", "chunk_texts_of_items", "chunks_by_id", "chunks_of_items", "item_texts",
           "latest_summary", "save_notes", "save_summary"]

ChunkText = tuple[int, int, int, int, str]  # (item id, seq, start, end, text)
_CHUNKS = ('SELECT c.item_id, c.seq, c.start, c."end", substr(i.text, c.start + 1, c."end" - c.start) FROM chunks c '
           "JOIN items i ON i.id = c.item_id WHERE c.{key} IN (SELECT value FROM json_each(?)) ORDER BY c.item_id, c.seq")


def chunks_of_items(db: sqlite_utils.Database, item_ids: list[int]) -> list[ChunkText]:
    """Every chunk of the items, in item and reading order."""
    return db.execute(_CHUNKS.format(key="item_id"), (json.dumps(item_ids),)).fetchall()


def chunks_by_id(db: sqlite_utils.Database, chunk_ids: list[int]) -> list[ChunkText]:
    """The chunks named, in item and reading order."""
    return db.execute(_CHUNKS.format(key="id"), (json.dumps(chunk_ids),)).fetchall()


def chunk_texts_of_items(db: sqlite_utils.Database, item_ids: list[int]) -> list[tuple[int, int, str]]:
    """Every chunk of the items as (chunk id, item id, text), for scoring chunks by their words."""
    return db.execute('SELECT c.id, c.item_id, substr(i.text, c.start + 1, c."end" - c.start) FROM chunks c '
                      "JOIN items i ON i.id = c.item_id WHERE c.item_id IN (SELECT value FROM json_each(?))",
                      (json.dumps(item_ids),)).fetchall()


def chunk_starts(db: sqlite_utils.Database, item_id: int) -> list[int]:
    """Where each of an item's chunks starts in its text, in reading order (for citing a span)."""
    return [row[0] for row in db.execute("SELECT start FROM chunks WHERE item_id = ? ORDER BY seq", (item_id,))]


def item_texts(db: sqlite_utils.Database, item_ids: set[int]) -> dict[int, str]:
    return dict(db.execute("SELECT id, text FROM items WHERE id IN (SELECT value FROM json_each(?))",
                           (json.dumps(sorted(item_ids)),)).fetchall())


def cached_notes(db: sqlite_utils.Database, key: str) -> list[Any] | None:
    """The notes saved under ``key`` (a hash of the method, model and chunk text), if any."""
    row = db.execute("SELECT notes FROM notes WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def save_notes(db: sqlite_utils.Database, key: str, item_id: int, notes: list[Any]) -> None:
    with atomic(db):
        db.execute("INSERT OR REPLACE INTO notes (key, item_id, notes, created_at) VALUES (?,?,?,?)",
                   (key, item_id, json.dumps(notes), now_iso()))


def save_summary(db: sqlite_utils.Database, subject: str, style: str, text: str, citations: list[Any], model: str) -> None:
    with atomic(db):
        db.execute("INSERT OR REPLACE INTO summaries (subject, style, text, citations, model, created_at) "
                   "VALUES (?,?,?,?,?,?)", (subject, style, text, json.dumps(citations), model, now_iso()))


def latest_summary(db: sqlite_utils.Database, subject: str) -> str | None:
    row = db.execute("SELECT text FROM summaries WHERE subject = ? ORDER BY created_at DESC LIMIT 1", (subject,)).fetchone()
    return row[0] if row else None
