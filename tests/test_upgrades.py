"""Upgrades: a library made by any earlier schema version opens with today's ft and loses nothing.

``tests/fixtures/schema/vK.db`` is the file ft at schema version K left on disk (written
once by ``make.py`` beside it, never regenerated). Each test copies one, reads every row
of it, lets ``ft.Library`` migrate the copy, and compares: the rows are still there, the
schema is the one a new library gets, and what later versions added works on old data.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

import ft
import index
from ft.core.config import DB_NAME
from ft.tasks import classify as classifying
from ft.tasks.reading import stored_summary, summarize
from index import Record
from tests.fixtures.schema.make import TAXONOMY, FixtureEmbedder

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "schema"
VERSIONS = sorted(int(m[1]) for p in FIXTURES.glob("v*.db") if (m := re.fullmatch(r"v(\d+)\.db", p.name)))

Rows = dict[str, tuple[list[str], list[tuple]]]  # table -> (columns, rows sorted)


def read_rows(conn: sqlite3.Connection) -> Rows:
    """Every row of every table but the FTS index's own, in a stable order."""
    tables = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'items_fts%' ORDER BY name")]
    out: Rows = {}
    for table in tables:
        cursor = conn.execute(f'SELECT * FROM "{table}"')
        out[table] = ([d[0] for d in cursor.description], sorted(cursor.fetchall(), key=repr))
    return out


def schema_of(conn: sqlite3.Connection) -> set[tuple[str, str, str | None]]:
    return set(conn.execute("SELECT type, name, sql FROM sqlite_master"))


@dataclass
class Old:
    """A copy of one fixture, and every row it held before anything opened it."""

    version: int
    home: Path
    rows: Rows

    def table(self, name: str) -> list[dict]:
        columns, rows = self.rows.get(name, ([], []))
        return [dict(zip(columns, row)) for row in rows]

    def open(self) -> ft.Library:
        return ft.Library(self.home, embedder=FixtureEmbedder())


@pytest.fixture(params=VERSIONS, ids=[f"v{v}" for v in VERSIONS])
def old(request, tmp_path: Path) -> Old:
    home = tmp_path / "old-home"
    home.mkdir()
    shutil.copyfile(FIXTURES / f"v{request.param}.db", home / DB_NAME)
    conn = sqlite3.connect(f"file:{home / DB_NAME}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == request.param
        return Old(request.param, home, read_rows(conn))
    finally:
        conn.close()


def test_there_is_a_fixture_for_every_schema_version():
    assert VERSIONS == list(range(1, index.SCHEMA_VERSION + 1)), (
        "a migration without its fixture: run `.venv/bin/python tests/fixtures/schema/make.py`")


def test_upgrade_keeps_every_row_and_reaches_the_new_schema(old: Old, tmp_path: Path):
    with old.open() as lib:
        conn = lib.db.conn
        assert lib.schema_version == conn.execute("PRAGMA user_version").fetchone()[0] == index.SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")  # FTS agrees with items
        after = read_rows(conn)
        migrated_schema = schema_of(conn)
    with ft.Library(tmp_path / "fresh") as fresh:
        assert migrated_schema == schema_of(fresh.db.conn)
    for table, (columns, rows) in old.rows.items():
        now_columns, now_rows = after[table]
        kept = sorted((tuple(row[now_columns.index(c)] for c in columns) for row in now_rows), key=repr)
        assert kept == rows, f"{table} changed in the upgrade from v{old.version}"
    assert sum(len(rows) for _, rows in old.rows.values()) > 30  # the fixture is not empty


def test_columns_added_by_the_upgrade_hold_their_defaults(old: Old):
    with old.open() as lib:
        for table, (columns, _) in old.rows.items():
            for _, name, _, _, default, _ in lib.db.execute(f'PRAGMA table_info("{table}")').fetchall():
                if name in columns:
                    continue
                expected = lib.db.execute(f"SELECT {default}").fetchone()[0] if default is not None else None
                values = {v for (v,) in lib.db.execute(f'SELECT "{name}" FROM "{table}"')}
                assert values <= {expected}, f"{table}.{name} after the upgrade from v{old.version}"


def test_upgraded_items_read_back_and_search_by_their_words(old: Old):
    items = old.table("items")
    labels: dict[int, list[str]] = {}
    for row in old.table("labels"):
        labels.setdefault(row["item_id"], []).append(row["label"])
    words = {row["id"]: set(re.findall(r"\w{5,}", row["text"].lower())) for row in items}
    with old.open() as lib:
        for row in items:
            item = lib.get(row["id"])
            assert (item.source, item.source_id, item.kind, item.title, item.url, item.author, item.text) == (
                row["source"], row["source_id"], row["kind"], row["title"], row["url"], row["author"], row["text"])
            assert (item.created_at, item.saved_at, item.synced_at, item.content_hash) == (
                row["created_at"], row["saved_at"], row["synced_at"], row["content_hash"])
            assert item.meta == json.loads(row["meta"]) and sorted(item.labels) == sorted(labels.get(row["id"], []))
            own = sorted(words[row["id"]].difference(*(w for other, w in words.items() if other != row["id"])))
            assert own, f"item {row['id']} has no word of its own to search by"
            for word in (own[0], own[-1]):
                assert row["id"] in [hit.item.id for hit in lib.search(word, mode="keyword")], word
        for link in old.table("links"):
            edges = [(rel, direction, other.id) for rel, direction, other in lib.links(link["src"])]
            assert (link["rel"], "out", link["dst"]) in edges


def test_upgraded_items_reimported_change_nothing(old: Old):
    """The content hash of an old item is what today's import computes: no duplicates, no rewrites."""
    records = [Record(r["source"], r["source_id"], r["text"], title=r["title"], kind=r["kind"], url=r["url"],
                      author=r["author"], created_at=r["created_at"], saved_at=r["saved_at"], meta=json.loads(r["meta"]))
               for r in old.table("items")]
    assert [r.content_hash for r in records] == [r["content_hash"] for r in old.table("items")]
    with old.open() as lib:
        result = lib.add(records)
        assert (result.added, result.updated, result.unchanged) == (0, 0, len(records))
        assert lib.stats().items == len(records)


def test_upgraded_library_embeds_only_what_has_no_vector(old: Old):
    items = {row["id"]: row["content_hash"] for row in old.table("items")}
    chunks = old.table("chunks")
    fresh = {c["item_id"] for c in chunks if c.get("item_hash") == items[c["item_id"]]}  # v1 chunks have no item_hash
    stale = set(items) - fresh
    chunk_item = {c["id"]: c["item_id"] for c in chunks}
    kept = {(e["chunk_id"], e["vector"]) for e in old.table("embeddings") if chunk_item[e["chunk_id"]] in fresh}
    with old.open() as lib:
        report = lib.embed()
        assert report.items_chunked == len(stale)
        vectors = set(lib.db.execute("SELECT chunk_id, vector FROM embeddings"))
        assert kept <= vectors  # the vectors an older ft made are used, not recomputed
        assert report.embedded == len(vectors) - len(kept) == lib.db.execute(
            "SELECT count(*) FROM chunks WHERE item_id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(stale)),)).fetchone()[0]
        again = lib.embed()
        assert (again.items_chunked, again.embedded) == (0, 0)
        for item_id, title, passage in lib.db.execute(  # each item's first chunk, embedded as a query, finds it
                'SELECT i.id, i.title, substr(i.text, c.start + 1, c."end" - c.start) FROM chunks c '
                "JOIN items i ON i.id = c.item_id WHERE c.seq = 0").fetchall():
            assert lib.search(f"{title}\n{passage}", mode="semantic")[0].item.id == item_id, title


class IndifferentModel:
    """A language model with no preference between labels, for the cascade's close calls:
    its decision then rests on the embeddings, so classify needs no weights here."""

    model_id = "indifferent"

    def score_many(self, prefix: str, suffixes: list[str], labels: list[str]) -> list[list[float]]:
        return [[0.0] * len(labels) for _ in suffixes]


def test_upgraded_library_classifies_only_what_is_new(old: Old):
    """The user's labels stay; items an older ft classified under the same taxonomy are not redone."""
    items = {row["id"]: row["content_hash"] for row in old.table("items")}
    done = {c["item_id"] for c in old.table("classified")
            if c["taxonomy"] == TAXONOMY.name and c["fingerprint"] == TAXONOMY.fingerprint
            and c["content_hash"] == items[c["item_id"]]}
    users = {r["item_id"]: r["label"] for r in old.table("labels") if r["method"] == "user" and r["taxonomy"] == TAXONOMY.name}
    with old.open() as lib:
        report = classifying.classify_library(lib, TAXONOMY, IndifferentModel)
        assert report.unchanged == len(done | set(users))
        assert report.items == len(items) - report.unchanged
        labelled = dict(lib.db.execute("SELECT item_id, label FROM labels WHERE taxonomy = ? AND method = 'user'",
                                       (TAXONOMY.name,)).fetchall())
        assert labelled == users
        assert lib.db.execute("SELECT count(DISTINCT item_id) FROM labels WHERE taxonomy = ?",
                              (TAXONOMY.name,)).fetchone()[0] == len(items)
        assert classifying.classify_library(lib, TAXONOMY, IndifferentModel).unchanged == len(items)
        item_id = min(items)
        classifying.set_label(lib, item_id, TAXONOMY, "tools")
        assert lib.get(item_id).labels == ["tools"]


def test_upgraded_library_reuses_old_notes_and_stores_summaries(old: Old):
    by_item = Counter(c["item_id"] for c in old.table("chunks"))
    longest = max(by_item, key=by_item.get)
    notes = sum(1 for n in old.table("notes") if n["item_id"] == longest)  # none before v4
    summary = next((s["text"] for s in old.table("summaries") if s["subject"] == f"item:{longest}"), None)
    with old.open() as lib:
        assert stored_summary(lib, longest) == summary
        reading = summarize(lib, [longest], sentences=2, subject=f"item:{longest}")
        assert reading.cached == notes and reading.chunks == by_item[longest]
        assert stored_summary(lib, longest) == reading.text != ""
        assert summarize(lib, [longest], sentences=2).cached == reading.chunks


def test_upgraded_library_marks_items_opened(old: Old):
    opened = {row["id"]: row.get("opened_at") for row in old.table("items")}
    with old.open() as lib:
        never = min(i for i, when in opened.items() if when is None)
        lib.mark_opened(never)
        now = dict(lib.db.execute("SELECT id, opened_at FROM items").fetchall())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", now[never])
    assert {i: w for i, w in now.items() if i != never} == {i: w for i, w in opened.items() if i != never}


def test_opening_an_upgraded_library_again_changes_nothing(old: Old):
    path = old.home / DB_NAME
    with old.open() as lib:
        runs = lib.db.execute("SELECT count(*) FROM runs").fetchone()[0]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with old.open() as lib:
        assert lib.schema_version == index.SCHEMA_VERSION
        assert [lib.get(row["id"]).text for row in old.table("items")] == [row["text"] for row in old.table("items")]
        assert lib.db.execute("SELECT count(*) FROM runs").fetchone()[0] == runs
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert not path.with_name(DB_NAME + "-wal").exists()


def test_a_library_from_a_newer_ft_is_refused_in_one_line(tmp_path: Path, cli):
    home = tmp_path / "newer"
    home.mkdir(mode=0o700)  # owner-only, as ft makes it: no permission warning in the way
    path = home / DB_NAME
    shutil.copyfile(FIXTURES / f"v{VERSIONS[-1]}.db", path)
    path.chmod(0o600)
    newer = index.SCHEMA_VERSION + 1
    conn = sqlite3.connect(path)
    items = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    conn.execute(f"PRAGMA user_version = {newer}")
    conn.close()
    with pytest.raises(ft.LibraryError) as refused:
        ft.Library(home)
    assert str(refused.value) == (f"{path}: library schema version {newer} is newer than this ft understands "
                                  f"({index.SCHEMA_VERSION}); upgrade ft")
    result = cli("--home", str(home), "stats")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"Error: {refused.value}"]
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # refused, not touched
    assert conn.execute("PRAGMA user_version").fetchone()[0] == newer
    assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == items > 0
    conn.close()
