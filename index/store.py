"""Writing records into the library and reading items back.

Upserts are idempotent: a record whose identity ``(source, source_id)`` and
content hash are already stored causes no write at all; a changed one is
updated in place, keeping its id, labels and links. A new identity whose
content is already stored under the same source (a file moved or exported
twice) counts as unchanged too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import sqlite_utils

from .records import Record, merged

from .db import atomic
from .items import Filters, Item, item_from_row

__all__ = ["BATCH", "Stats", "UpsertResult", "get_item", "list_items", "now_iso", "stats", "upsert"]

BATCH = 1000

_ITEM_COLUMNS = (
    "source, source_id, kind, url, title, author, text, created_at, saved_at, synced_at, "
    "content_hash, meta"
)
# The labels of an item, joined by the unit separator (never found in a label).
LABELS_SQL = (
    "(SELECT group_concat(label, char(31)) FROM labels WHERE labels.item_id = items.id) AS labels"
)


def now_iso() -> str:
    """The current time as an ISO 8601 UTC string, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class UpsertResult:
    """What an upsert did: counts, and the ids of items added or updated."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[int] = field(default_factory=list)

    def merge(self, other: UpsertResult) -> None:
        """Add another result's counts and ids to this one."""
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.ids.extend(other.ids)


def upsert(db: sqlite_utils.Database, records: Iterable[Record]) -> UpsertResult:
    """Store records, a batch per transaction, and return what changed.

    Batches keep memory flat on large imports; a crash loses at most the
    batch being written, never what was committed before it.
    """
    result = UpsertResult()
    it = iter(records)
    while batch := list(islice(it, BATCH)):
        with atomic(db):
            result.merge(_upsert_batch(db, batch))
    return result


def _upsert_batch(db: sqlite_utils.Database, batch: list[Record]) -> UpsertResult:
    result = UpsertResult()
    synced = now_iso()
    unique = {(r.source, r.source_id): r for r in batch}  # the last copy of an identity wins
    existing = _existing(db, list(unique))
    ids: dict[tuple[str, str], int] = {}
    for key, record in unique.items():
        found = existing.get(key)
        if found is not None and record.merge:
            record = merged(record, _stored_fields(db, found[0]))
        digest = record.content_hash
        if found is None:
            twin = db.execute(
                "SELECT id FROM items WHERE source = ? AND content_hash = ?",
                (record.source, digest),
            ).fetchone()
            if twin:
                ids[key] = twin[0]
                result.unchanged += 1
                continue
            ids[key] = _insert(db, record, digest, synced)
            result.added += 1
            result.ids.append(ids[key])
        elif found[1] != digest:
            _update(db, found[0], record, digest, synced)
            ids[key] = found[0]
            result.updated += 1
            result.ids.append(found[0])
        else:
            ids[key] = found[0]
            result.unchanged += 1
    _store_links(db, unique.values(), ids)
    return result


def _existing(db: sqlite_utils.Database, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """Id and content hash of the identities in ``keys`` that are already stored."""
    found: dict[tuple[str, str], tuple[int, str]] = {}
    by_source: dict[str, list[str]] = {}
    for source, source_id in keys:
        by_source.setdefault(source, []).append(source_id)
    for source, source_ids in by_source.items():
        rows = db.execute(
            "SELECT id, source_id, content_hash FROM items "
            "WHERE source = ? AND source_id IN (SELECT value FROM json_each(?))",
            (source, json.dumps(source_ids)),
        )
        for item_id, source_id, digest in rows:
            found[(source, source_id)] = (item_id, digest)
    return found


def _stored_fields(db: sqlite_utils.Database, item_id: int) -> dict[str, Any]:
    """The stored item's fields, meta parsed, for merging a record into it."""
    cursor = db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,))
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    return {**row, "meta": json.loads(row["meta"] or "{}")}


def _values(record: Record, digest: str, synced: str) -> tuple[Any, ...]:
    return (
        record.source,
        record.source_id,
        record.kind,
        record.url,
        record.title,
        record.author,
        record.text,
        record.created_at,
        record.saved_at,
        synced,
        digest,
        json.dumps(record.meta, ensure_ascii=False, sort_keys=True, default=str),
    )


def _insert(db: sqlite_utils.Database, record: Record, digest: str, synced: str) -> int:
    cursor = db.execute(
        f"INSERT INTO items ({_ITEM_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        _values(record, digest, synced),
    )
    return cursor.lastrowid


def _update(db: sqlite_utils.Database, item_id: int, record: Record, digest: str, synced: str) -> None:
    assignments = ", ".join(f"{c.strip()} = ?" for c in _ITEM_COLUMNS.split(","))
    db.execute(f"UPDATE items SET {assignments} WHERE id = ?", (*_values(record, digest, synced), item_id))


def _store_links(db: sqlite_utils.Database, records: Iterable[Record], ids: dict[tuple[str, str], int]) -> None:
    """Store each record's edges whose target is in this batch or already stored."""
    for record in records:
        for link in record.links:
            target = ids.get(link.target) or _existing(db, [link.target]).get(link.target, (None,))[0]
            if target is not None:
                db.execute(
                    "INSERT OR IGNORE INTO links (src, dst, rel) VALUES (?, ?, ?)",
                    (ids[(record.source, record.source_id)], target, link.rel),
                )


def get_item(db: sqlite_utils.Database, item_id: int) -> Item | None:
    """The item with this id, with its labels, or ``None``."""
    row = db.execute(f"SELECT items.*, {LABELS_SQL} FROM items WHERE id = ?", (item_id,))
    cols = [d[0] for d in row.description]
    found = row.fetchone()
    return item_from_row(dict(zip(cols, found))) if found else None


def list_items(
    db: sqlite_utils.Database, filters: Filters, limit: int | None = 50, offset: int = 0
) -> Iterator[Item]:
    """Items matching ``filters``, newest first."""
    where, params = filters.where()
    sql = (
        f"SELECT items.*, {LABELS_SQL} FROM items WHERE {where} "
        "ORDER BY coalesce(created_at, saved_at) DESC, id DESC LIMIT ? OFFSET ?"
    )
    cursor = db.execute(sql, (*params, -1 if limit is None else limit, offset))
    cols = [d[0] for d in cursor.description]
    for row in cursor:
        yield item_from_row(dict(zip(cols, row)))


@dataclass
class Stats:
    """Counts over the whole library."""

    items: int
    by_source: dict[str, int]
    by_kind: dict[str, int]
    by_label: dict[str, int]
    links: int
    chunks: int
    embeddings: int
    first_date: str | None
    last_date: str | None
    last_sync: str | None
    db_bytes: int


def stats(db: sqlite_utils.Database, path: str) -> Stats:
    """Counts by source, kind and label, and the library's extent in time and bytes."""

    def counts(sql: str) -> dict[str, int]:
        return {key: n for key, n in db.execute(sql)}

    first, last, last_sync = db.execute(
        "SELECT min(coalesce(created_at, saved_at)), max(coalesce(created_at, saved_at)), "
        "max(synced_at) FROM items"
    ).fetchone()
    size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    return Stats(
        items=db.execute("SELECT count(*) FROM items").fetchone()[0],
        by_source=counts("SELECT source, count(*) FROM items GROUP BY source ORDER BY 2 DESC"),
        by_kind=counts("SELECT kind, count(*) FROM items GROUP BY kind ORDER BY 2 DESC"),
        by_label=counts("SELECT label, count(*) FROM labels GROUP BY label ORDER BY 2 DESC"),
        links=db.execute("SELECT count(*) FROM links").fetchone()[0],
        chunks=db.execute("SELECT count(*) FROM chunks").fetchone()[0],
        embeddings=db.execute("SELECT count(*) FROM embeddings").fetchone()[0],
        first_date=first,
        last_date=last,
        last_sync=last_sync,
        db_bytes=size,
    )
