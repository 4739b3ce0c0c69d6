"""The SQLite store: schema, idempotent upserts, links, FTS kept in step."""

from __future__ import annotations

import sqlite3

import pytest

import ft
import index
from index import Link, Record


def _record(n: int = 1, **changes) -> Record:
    fields = dict(source="test", source_id=f"r{n}", title=f"Title {n}", text=f"body text number {n}")
    fields.update(changes)
    return Record(**fields)


def test_new_library_has_schema_wal_and_version(lib):
    assert lib.schema_version == index.SCHEMA_VERSION
    assert lib.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = set(lib.db.table_names())
    assert {"items", "items_fts", "links", "chunks", "embeddings", "labels", "sync_state", "runs"} <= tables


def test_same_records_twice_change_nothing(lib):
    first = lib.add([_record(1), _record(2)])
    before = lib.db.execute("SELECT id, synced_at, content_hash FROM items ORDER BY id").fetchall()
    second = lib.add([_record(1), _record(2)])
    assert (first.added, second.added, second.updated, second.unchanged) == (2, 0, 0, 2)
    assert lib.db.execute("SELECT id, synced_at, content_hash FROM items ORDER BY id").fetchall() == before


def test_changed_record_updates_in_place(lib):
    lib.add(_record(1))
    (item_id,) = lib.db.execute("SELECT id FROM items").fetchone()
    result = lib.add(_record(1, text="edited upstream: walrus"))
    assert (result.added, result.updated) == (0, 1)
    assert lib.get(item_id).text == "edited upstream: walrus"
    assert [h.item.id for h in lib.search("walrus")] == [item_id]
    assert lib.search("number") == []  # the old text left the index


def test_same_content_under_new_identity_is_not_duplicated(lib):
    lib.add(_record(1, source_id="/old/path/note.md"))
    result = lib.add(_record(1, source_id="/new/path/note.md"))
    assert result.unchanged == 1
    assert lib.stats().items == 1


def test_links_join_records_of_one_batch_and_stored_ones(lib):
    paper = _record(1, source="arxiv", source_id="2512.24601", kind="paper")
    lib.add(paper)
    post = _record(2, links=[Link("mentions_paper", ("arxiv", "2512.24601"))])
    lib.add(post)
    post_item = lib.items(source="test")[0]
    ((rel, direction, other),) = lib.links(post_item.id)
    assert (rel, direction, other.source_id) == ("mentions_paper", "out", "2512.24601")
    ((rel, direction, other),) = lib.links(other.id)
    assert (rel, direction, other.id) == ("mentions_paper", "in", post_item.id)


def test_failed_batch_leaves_library_as_it_was(lib):
    lib.add(_record(1))

    def records():
        yield _record(2)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        lib.add(records())
    assert [i.source_id for i in lib.items()] == ["r1"]
    assert lib.db.execute("SELECT status FROM runs ORDER BY id DESC").fetchone()[0] == "interrupted"


def test_old_library_migrates_and_newer_one_is_refused(tmp_path):
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()  # an empty file: schema version 0
    with ft.Library(path) as library:
        assert library.schema_version == index.SCHEMA_VERSION
        library.add(_record(1))
    with ft.Library(path) as library:  # reopening migrates nothing and keeps items
        assert library.stats().items == 1
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {index.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ft.LibraryError, match="newer than this ft"):
        ft.Library(path)


def test_unopenable_library_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ft.LibraryError, match="cannot open the library"):
        ft.Library(bad)


def test_get_missing_item_names_it(lib):
    with pytest.raises(ft.NotFound, match="no item 42"):
        lib.get(42)
