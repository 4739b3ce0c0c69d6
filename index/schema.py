"""The library's schema, built by numbered migrations.

``PRAGMA user_version`` holds the number of the last migration applied, so an
older library is brought forward step by step when it is opened, each step in
its own transaction. Add a migration; never edit one that has shipped.
The tables are described in ``SCHEMA.md``.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from .db import atomic

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SchemaTooNew", "migrate", "schema_version"]


# External-content FTS5 over items, kept in step by triggers. The update trigger
# fires only when an indexed column changes, so touching sync times is cheap.
_FTS_DDL = [
    """CREATE VIRTUAL TABLE items_fts USING fts5(
        title, text, author, content='items', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN
        INSERT INTO items_fts(rowid, title, text, author)
        VALUES (new.id, new.title, new.text, new.author);
    END""",
    """CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, title, text, author)
        VALUES ('delete', old.id, old.title, old.text, old.author);
    END""",
    """CREATE TRIGGER items_au AFTER UPDATE OF title, text, author ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, title, text, author)
        VALUES ('delete', old.id, old.title, old.text, old.author);
        INSERT INTO items_fts(rowid, title, text, author)
        VALUES (new.id, new.title, new.text, new.author);
    END""",
]


def _m1_core(db: sqlite_utils.Database) -> None:
    """Items, the edges between them, their chunks, vectors, labels, sync state and runs."""
    db["items"].create(
        {
            "id": int,
            "source": str,
            "source_id": str,
            "kind": str,
            "url": str,
            "title": str,
            "author": str,
            "text": str,
            "created_at": str,
            "saved_at": str,
            "synced_at": str,
            "content_hash": str,
            "meta": str,
        },
        pk="id",
        not_null={"source", "source_id", "kind", "title", "text", "content_hash", "synced_at"},
        defaults={"meta": "{}", "title": "", "kind": "note"},
    )
    db["items"].create_index(["source", "source_id"], unique=True)
    db["items"].create_index(["url"])
    db["items"].create_index(["content_hash"])
    db["items"].create_index(["author"])
    db.execute("CREATE INDEX idx_items_date ON items(coalesce(created_at, saved_at))")
    for statement in _FTS_DDL:
        db.execute(statement)
    db["links"].create(
        {"src": int, "dst": int, "rel": str},
        pk=("src", "dst", "rel"),
        foreign_keys=[("src", "items", "id"), ("dst", "items", "id")],
    )
    db["links"].create_index(["dst"])
    db["chunks"].create(
        {"id": int, "item_id": int, "seq": int, "start": int, "end": int, "text": str, "hash": str},
        pk="id",
        foreign_keys=[("item_id", "items", "id")],
    )
    db["chunks"].create_index(["item_id", "seq"], unique=True)
    db["embeddings"].create(
        {"chunk_id": int, "model": str, "dim": int, "dtype": str, "scale": float, "vector": bytes},
        pk=("chunk_id", "model"),
        foreign_keys=[("chunk_id", "chunks", "id")],
    )
    db["labels"].create(
        {
            "item_id": int,
            "taxonomy": str,
            "label": str,
            "method": str,
            "score": float,
            "model": str,
            "created_at": str,
        },
        pk=("item_id", "taxonomy", "label"),
        foreign_keys=[("item_id", "items", "id")],
    )
    db["labels"].create_index(["label"])
    db["sync_state"].create(
        {"source": str, "cursor": str, "state": str, "updated_at": str}, pk="source"
    )
    db["runs"].create(
        {
            "id": int,
            "command": str,
            "args": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "stats": str,
        },
        pk="id",
    )


def _m2_chunk_sources(db: sqlite_utils.Database) -> None:
    """Chunks remember the item content they were cut from, so a changed item is re-chunked;
    their text is read from the item's span instead of being stored twice."""
    db.execute("ALTER TABLE chunks ADD COLUMN item_hash TEXT")
    db.execute("CREATE INDEX idx_embeddings_model ON embeddings(model)")


def _m3_classified(db: sqlite_utils.Database) -> None:
    """Which item content and taxonomy version each classification was made from,
    so classify redoes only new or changed items, or all after the taxonomy changed."""
    db["classified"].create(
        {"item_id": int, "taxonomy": str, "fingerprint": str, "content_hash": str},
        pk=("item_id", "taxonomy"),
        foreign_keys=[("item_id", "items", "id")],
    )


def _m4_notes_and_summaries(db: sqlite_utils.Database) -> None:
    """Notes the recursive reader took from a chunk (reused by every later summary or
    question over the same text), and the summaries shown with an item."""
    db["notes"].create({"key": str, "item_id": int, "notes": str, "created_at": str}, pk="key")
    db["summaries"].create(
        {"subject": str, "style": str, "text": str, "citations": str, "model": str, "created_at": str},
        pk=("subject", "style"),
    )


def _m5_opened(db: sqlite_utils.Database) -> None:
    """When the user last opened an item (``ft show``), for "forgotten gems"."""
    db.execute("ALTER TABLE items ADD COLUMN opened_at TEXT")


def _m6_vector_state(db: sqlite_utils.Database) -> None:
    """A per-model count and change counter of stored vectors, kept by triggers, so a
    process can tell in one lookup whether its saved copy of the vector matrix is current."""
    db.execute("CREATE TABLE vector_state (model TEXT PRIMARY KEY, generation INTEGER NOT NULL, rows INTEGER NOT NULL)")
    db.execute("INSERT INTO vector_state SELECT model, 1, count(*) FROM embeddings GROUP BY model")
    db.execute("""CREATE TRIGGER embeddings_ai AFTER INSERT ON embeddings BEGIN
        INSERT INTO vector_state (model, generation, rows) VALUES (new.model, 1, 1)
        ON CONFLICT (model) DO UPDATE SET generation = generation + 1, rows = rows + 1; END""")
    db.execute("""CREATE TRIGGER embeddings_ad AFTER DELETE ON embeddings BEGIN
        UPDATE vector_state SET generation = generation + 1, rows = rows - 1 WHERE model = old.model; END""")
    db.execute("""CREATE TRIGGER embeddings_au AFTER UPDATE ON embeddings BEGIN
        UPDATE vector_state SET generation = generation + 1 WHERE model IN (old.model, new.model); END""")


Migration = Callable[[sqlite_utils.Database], None]

MIGRATIONS: list[Migration] = [_m1_core, _m2_chunk_sources, _m3_classified, _m4_notes_and_summaries, _m5_opened,
                              _m6_vector_state]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite_utils.Database, target: int = SCHEMA_VERSION) -> int:
    """Apply every migration newer than the file's ``user_version`` up to ``target``; return the version.

    A library written by a newer ft is refused rather than silently misread. A ``target``
    below the latest builds the schema an older ft made (the upgrade test fixtures).
    """
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(version)
    for number in range(version + 1, target + 1):
        with atomic(db):  # one transaction per step: a crash leaves the last whole step
            MIGRATIONS[number - 1](db)
            db.execute(f"PRAGMA user_version = {number}")
    return max(version, target)


def schema_version(db: sqlite_utils.Database) -> int:
    """The number of the last migration applied to this file (0 for a new file)."""
    return db.execute("PRAGMA user_version").fetchone()[0]


class SchemaTooNew(Exception):
    """The file was written by a newer ft; reading it with this one could lose data."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"library schema version {version} is newer than this ft understands "
            f"({SCHEMA_VERSION}); upgrade ft"
        )
