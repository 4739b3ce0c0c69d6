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
from itertools import islice
from typing import Any

import sqlite_utils

from ft.core.dates import now_iso
from .records import Record, merged

from .db import atomic
from .items import Filters, Item, item_from_row

__all__ = ["BATCH", "Stats", "UpsertResult", "delete_item", "get_item", "feeds", "item_by_title", "item_count", "item_id_of", "item_ids", "item_links", "link_to",
           "list_items", "metas", "set_meta", "source_texts", "restore_item",
           "stats", "upsert"]

BATCH = 1000

_ITEM_COLUMNS = (
    "source, source_id, kind, url, title, author, text, created_at, saved_at, synced_at, "
    "content_hash, meta"
)
# The labels of an item, joined by the unit separator (never found in a label).
LABELS_SQL = (
    "(SELECT group_concat(label, char(31)) FROM labels WHERE labels.item_id = items.id) AS labels"
)


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


def delete_item(db: sqlite_utils.Database, item_id: int) -> dict[str, list[dict[str, Any]]]:
    """Remove an item and everything hanging off it; returns its rows, which ``restore_item`` puts back."""
    with atomic(db):
        snapshot = {
            table: [dict(zip([d[0] for d in cur.description], row)) for row in cur.fetchall()]
            for table, cur in (
                ("items", db.execute("SELECT * FROM items WHERE id = ?", (item_id,))),
                ("labels", db.execute("SELECT * FROM labels WHERE item_id = ?", (item_id,))),
                ("links", db.execute("SELECT * FROM links WHERE src = ? OR dst = ?", (item_id, item_id))),
            )
        }
        for sql in ("DELETE FROM embeddings WHERE chunk_id IN (SELECT id FROM chunks WHERE item_id = :i)",
                    "DELETE FROM chunks WHERE item_id = :i", "DELETE FROM labels WHERE item_id = :i",
                    "DELETE FROM classified WHERE item_id = :i", "DELETE FROM links WHERE src = :i OR dst = :i",
                    "DELETE FROM items WHERE id = :i"):
            db.execute(sql, {"i": item_id})
    return snapshot


def restore_item(db: sqlite_utils.Database, snapshot: dict[str, list[dict[str, Any]]]) -> None:
    """Put back what ``delete_item`` removed, with its id, labels and links (chunks are re-made by embedding)."""
    with atomic(db):
        for table in ("items", "labels", "links"):
            for row in snapshot[table]:
                columns = ", ".join(f'"{c}"' for c in row)
                db.execute(f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))})",
                           list(row.values()))


def item_links(db: sqlite_utils.Database, item_id: int) -> list[tuple[str, str, int]]:
    """Edges touching an item as ``(rel, "out"|"in", other item's id)``."""
    return db.execute(
        "SELECT rel, 'out', dst FROM links WHERE src = ? UNION ALL "
        "SELECT rel, 'in', src FROM links WHERE dst = ?",
        (item_id, item_id),
    ).fetchall()


def item_ids(db: sqlite_utils.Database) -> list[int]:
    """Every item's id, in the order they were stored."""
    return [row[0] for row in db.execute("SELECT id FROM items ORDER BY id")]


def item_count(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM items").fetchone()[0]


def item_by_title(db: sqlite_utils.Database, title: str) -> tuple[int, str, str] | None:
    """``(id, title, text)`` of an item with exactly this title, for labelled sets that name items by title."""
    return db.execute("SELECT id, title, text FROM items WHERE title = ?", (title,)).fetchone()


def item_holding(db: sqlite_utils.Database, text: str) -> tuple[int, str, str] | None:
    """``(id, title, text)`` of the first item whose text holds ``text``: an item a labelled set
    names by a title that is no longer its own (a dump split differently) is still found."""
    return db.execute("SELECT id, title, text FROM items WHERE instr(text, ?) > 0 ORDER BY id LIMIT 1",
                      (text,)).fetchone()


def item_id_of(db: sqlite_utils.Database, source: str, source_id: str) -> int | None:
    """The id of the item a source knows as ``source_id``, if it is stored."""
    row = db.execute("SELECT id FROM items WHERE source = ? AND source_id = ?", (source, source_id)).fetchone()
    return row[0] if row else None


def next_in_file(db: sqlite_utils.Database, item_id: int) -> int | None:
    """The post split from the same file right after this one, if the item is such a post.

    A file split into posts (an X text dump) gives each an id ``FILE#LINE:DIGEST`` and its
    ``position`` in the file, so the next one is found in the ``(source, source_id)`` index
    among the ids sharing ``FILE#``."""
    row = db.execute("SELECT source, source_id, json_extract(meta, '$.position') FROM items WHERE id = ?",
                     (item_id,)).fetchone()
    if row is None or row[2] is None or "#" not in row[1]:
        return None
    source, source_id, position = row
    prefix = source_id[:source_id.rindex("#") + 1]
    found = db.execute("SELECT id FROM items WHERE source = ? AND source_id >= ? AND source_id < ? "
                       "AND json_extract(meta, '$.position') = ?",
                       (source, prefix, prefix[:-1] + chr(ord("#") + 1), position + 1)).fetchone()
    return found[0] if found else None


def source_texts(db: sqlite_utils.Database, exclude: str) -> list[tuple[str, str, str | None, str, str | None]]:
    """``(source, source_id, url, text, meta)`` of every item not from ``exclude``: where links to look for are."""
    return db.execute("SELECT source, source_id, url, text, meta FROM items WHERE source != ?", (exclude,)).fetchall()


def link_to(db: sqlite_utils.Database, src: int, source: str, source_id: str, rel: str) -> None:
    """Link item ``src`` to the item ``source`` knows as ``source_id``, when that one is stored."""
    db.execute("INSERT OR IGNORE INTO links (src, dst, rel) SELECT ?, id, ? FROM items WHERE source = ? AND source_id = ?",
               (src, rel, source, source_id))


def metas(db: sqlite_utils.Database, source: str) -> list[tuple[int, str, dict[str, Any]]]:
    """``(id, source_id, meta)`` of every item from ``source``."""
    return [(i, s, json.loads(m or "{}"))
            for i, s, m in db.execute("SELECT id, source_id, meta FROM items WHERE source = ?", (source,)).fetchall()]


def set_meta(db: sqlite_utils.Database, item_id: int, meta: dict[str, Any]) -> None:
    """Replace an item's ``meta`` (run inside the caller's ``atomic``)."""
    db.execute("UPDATE items SET meta = ? WHERE id = ?", (json.dumps(meta, sort_keys=True), item_id))


def feeds(db: sqlite_utils.Database) -> list[tuple[int, str, str | None]]:
    """``(id, title, url)`` of every feed followed, in the order they were added."""
    return db.execute("SELECT id, title, url FROM items WHERE kind = 'feed' ORDER BY id").fetchall()


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
