"""``ft.Library``: the one object scripts, the CLI and the TUI use to reach a library.

It opens (and migrates) the SQLite file, and offers the verbs: add records,
import files, get, list, search, stats. Every failure a user can cause comes
out as an ``FtError`` with a message that names the item and the fix.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import index
from index import Filters, Hit, Item, Record, Skipped, Stats, UpsertResult
from index import embed as embedding
from index.embedders import Embedder, expected_model_id, load_embedder
from index.hybrid import Mode, hybrid_search, semantic_search, similar
from index.store import now_iso
from index.vectors import VectorIndex

from . import sources
from .config import Settings, load_settings, resolve_db
from .errors import LibraryError, NotFound, SearchError, SourceError
from .privacy import private_dir, private_file

__all__ = ["ImportReport", "Library"]

Progress = Callable[[Path, int, int], None]


@dataclass
class ImportReport:
    """What an import did, file by file; ``status`` is ok, partial, failed or empty."""

    files: int = 0
    files_failed: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # entries left out by design (Skipped.expected), not problems
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.problems and (self.added or self.updated or self.unchanged):
            return "partial"
        if self.problems:
            return "failed"
        return "ok" if self.files else "empty"

    def count(self, result: UpsertResult) -> None:
        self.added += result.added
        self.updated += result.updated
        self.unchanged += result.unchanged

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "files": self.files,
            "files_failed": self.files_failed,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "problems": self.problems,
        }


class Library:
    """A personal library in one SQLite file.

    :param where: a ``.db`` file, a folder holding ``library.db``, or ``None``
        for the default (``FT_HOME`` or the XDG data folder).
    :param embedder: the embedder for semantic search and ``embed``; by default
        the one ``config.json`` names, loaded on first use.
    """

    def __init__(self, where: str | os.PathLike[str] | None = None, embedder: Embedder | None = None) -> None:
        self.path = resolve_db(where)
        self.settings: Settings = load_settings(self.path.parent)
        self._embedder = embedder
        self._vectors: VectorIndex | None = None
        self.notices: list[str] = []  # one-line notes for the user (fallbacks, degraded modes)
        try:
            private_dir(self.path.parent)
            self.db = index.connect(private_file(self.path))
            self.schema_version = index.migrate(self.db)
        except (index.SchemaTooNew, sqlite3.DatabaseError, OSError) as exc:
            if hasattr(self, "db"):
                self.db.conn.close()  # refused: nothing left open on the file
            if isinstance(exc, index.SchemaTooNew):
                raise LibraryError(f"{self.path}: {exc}") from exc
            raise LibraryError(f"cannot open the library {self.path}: {exc}") from exc

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        self.db.conn.close()

    def __repr__(self) -> str:
        return f"<Library {self.path}>"

    # -- writing -----------------------------------------------------------

    def add(self, records: Record | Iterable[Record]) -> UpsertResult:
        """Store records; an identical record already stored changes nothing."""
        if isinstance(records, Record):
            records = [records]
        with self._run("add", {}) as run:
            result = index.upsert(self.db, records)
            run.update(added=result.added, updated=result.updated, unchanged=result.unchanged)
        return result

    def import_path(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        as_format: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import files and folders, each file's format detected by its content.

        A file that cannot be read is reported in ``problems`` as one line and
        skipped; the rest are imported. ``as_format`` forces a format by name.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        named = [Path(p) for p in paths]
        report = ImportReport()
        for missing in (p for p in named if not p.exists()):
            report.problems.append(f"{missing}: no such file or folder")
            report.files_failed += 1
        files = list(sources.expand(p for p in named if p.exists()))
        with self._run("import", {"paths": [str(p) for p in named], "as": as_format}) as run:
            for done, path in enumerate(files, 1):
                self._import_file(path, as_format, report)
                if progress:
                    progress(path, done, len(files))
            run.update(report.to_dict())
        return report

    def _import_file(self, path: Path, as_format: str | None, report: ImportReport) -> None:
        report.files += 1
        try:
            report.count(index.upsert(self.db, self._records(path, as_format, report)))
        except SourceError as exc:
            report.files_failed += 1
            report.problems.append(str(exc))

    @staticmethod
    def _records(path: Path, as_format: str | None, report: ImportReport) -> Iterator[Record]:
        for entry in sources.read(path, as_format):
            if isinstance(entry, Skipped) and entry.expected:
                report.skipped += 1
            elif isinstance(entry, Skipped):
                report.problems.append(str(entry))
            else:
                yield entry

    # -- reading -----------------------------------------------------------

    def get(self, item_id: int) -> Item:
        """The item with this id; ``NotFound`` if there is none."""
        item = index.get_item(self.db, item_id)
        if item is None:
            raise NotFound(f"no item {item_id} in {self.path} (see `ft list`)")
        return item

    def items(self, filters: Filters | None = None, limit: int | None = 50, offset: int = 0, **by: Any) -> list[Item]:
        """Items matching the filters (or keyword filters such as ``source="x"``), newest first."""
        return list(index.list_items(self.db, filters or Filters(**by), limit, offset))

    def search(self, query: str, filters: Filters | None = None, limit: int = 20, mode: Mode = "hybrid",
               **by: Any) -> list[Hit]:
        """Items for ``query``, best first: by keywords, by meaning, or both fused (the default).

        Hybrid search falls back to keywords, with a notice, while the library has no
        vectors; semantic search then raises ``SearchError`` saying to run ``ft embed``.
        """
        filters = filters or Filters(**by)
        any_word = False  # keyword mode means every word; looser matches are meaning's job
        if mode != "keyword" and not self.has_vectors():
            if mode == "semantic":
                raise SearchError(f"no vectors for {self.embedder_id} yet: run `ft embed` first")
            self.notices.append("keyword search only: run `ft embed` to search by meaning too")
            mode, any_word = "keyword", True  # without vectors, items with any of the words beat nothing
        try:
            if mode == "keyword":
                return index.search(self.db, query, filters, limit, any_word=any_word)
            if mode == "semantic":
                return semantic_search(self.db, self.vectors, self.embedder, query, filters, limit)
            return hybrid_search(self.db, self.vectors, self.embedder, query, filters, limit)
        except index.QuerySyntaxError as exc:
            raise SearchError(f"{exc}. Quote phrases with \"...\" or drop the operator.") from exc

    def similar(self, item_id: int, limit: int = 10, filters: Filters | None = None, **by: Any) -> list[Hit]:
        """Items closest in meaning to item ``item_id``."""
        self.get(item_id)
        if not self.has_vectors():
            raise SearchError(f"no vectors for {self.embedder_id} yet: run `ft embed` first")
        return similar(self.db, self.vectors, item_id, filters or Filters(**by), limit)

    # -- embeddings ------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The embedder, loaded on first use (provider fallbacks become notices)."""
        if self._embedder is None:
            self._embedder = load_embedder(self.settings.embedder, self.settings.device, self.notices.append,
                                           self.path.parent / "models")
        return self._embedder

    @property
    def embedder_id(self) -> str:
        """The model id vectors are stored under, known without loading the model."""
        if self._embedder is not None:
            return self._embedder.model_id
        return expected_model_id(self.settings.embedder, self.settings.device, self.path.parent / "models")

    @property
    def vectors(self) -> VectorIndex:
        if self._vectors is None or self._vectors.model != self.embedder_id:
            self._vectors = VectorIndex(self.db, self.embedder_id)
        return self._vectors

    def has_vectors(self) -> bool:
        """Whether the current embedder has any vectors: one index probe, cheap on every search."""
        return self.db.execute("SELECT 1 FROM embeddings WHERE model = ? LIMIT 1", (self.embedder_id,)).fetchone() is not None

    def vector_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM embeddings WHERE model = ?", (self.embedder_id,)).fetchone()[0]

    def quantize_embedder(self, samples: int = 320, seq: int = 128, batch: int = 8) -> tuple[Path, float, float]:
        """Build the static int8 embedder NPUs need, calibrated on a sample of this library.

        Returns the model's path and its mean and minimum cosine agreement with
        the float model on held-out chunks of the library.
        """
        from index.embedders import build_npu_embedder

        rows = self.db.execute(
            'SELECT i.title, substr(i.text, c.start + 1, c."end" - c.start) FROM chunks c JOIN items i ON i.id = c.item_id '
            "ORDER BY random() LIMIT ?", (samples,)
        ).fetchall() or self.db.execute("SELECT title, substr(text, 1, 1500) FROM items ORDER BY random() LIMIT ?", (samples,)).fetchall()
        return build_npu_embedder([f"{t}\n{x}" for t, x in rows], self.path.parent / "models", seq, batch)

    def embed(self, progress: Callable[[int, int], None] | None = None) -> embedding.EmbedReport:
        """Chunk new and changed items and embed every chunk the current model has no vector for.

        Safe to interrupt: finished batches stay, and the next run does only the rest.
        """
        with self._run("embed", {"model": self.embedder_id}) as run:
            report = embedding.run(self.db, self.embedder, progress)
            run.update(report.to_dict())
        if report.other_models and report.embedded:
            self.notices.append(
                f"the embedding model is now {report.model}; vectors of "
                + ", ".join(f"{m} ({n})" for m, n in report.other_models.items())
                + " are kept but not searched"
            )
        return report

    def delete(self, item_id: int) -> dict[str, Any]:
        """Remove an item and everything hanging off it; returns what ``restore`` needs to undo it."""
        self.get(item_id)
        with index.atomic(self.db):
            snapshot = {
                table: [dict(zip([d[0] for d in cur.description], row)) for row in cur.fetchall()]
                for table, cur in (
                    ("items", self.db.execute("SELECT * FROM items WHERE id = ?", (item_id,))),
                    ("labels", self.db.execute("SELECT * FROM labels WHERE item_id = ?", (item_id,))),
                    ("links", self.db.execute("SELECT * FROM links WHERE src = ? OR dst = ?", (item_id, item_id))),
                )
            }
            for sql in ("DELETE FROM embeddings WHERE chunk_id IN (SELECT id FROM chunks WHERE item_id = :i)",
                        "DELETE FROM chunks WHERE item_id = :i", "DELETE FROM labels WHERE item_id = :i",
                        "DELETE FROM classified WHERE item_id = :i", "DELETE FROM links WHERE src = :i OR dst = :i",
                        "DELETE FROM items WHERE id = :i"):
                self.db.execute(sql, {"i": item_id})
        return snapshot

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Put back an item ``delete`` removed, with its id, labels and links (chunks are re-made by embed)."""
        with index.atomic(self.db):
            for table in ("items", "labels", "links"):
                for row in snapshot[table]:
                    columns = ", ".join(f'"{c}"' for c in row)
                    self.db.execute(f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))})",
                                    list(row.values()))

    def links(self, item_id: int) -> list[tuple[str, str, Item]]:
        """Edges touching an item as ``(rel, "out"|"in", other item)``."""
        rows = self.db.execute(
            "SELECT rel, 'out', dst FROM links WHERE src = ? UNION ALL "
            "SELECT rel, 'in', src FROM links WHERE dst = ?",
            (item_id, item_id),
        ).fetchall()
        return [(rel, direction, self.get(other)) for rel, direction, other in rows]

    def stats(self) -> Stats:
        """Counts by source, kind and label, and the library's size."""
        return index.stats(self.db, str(self.path))

    # -- run log -------------------------------------------------------------

    @contextmanager
    def _run(self, command: str, args: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Log a run: started before, finished with its stats after, ``interrupted`` if it raised."""
        with index.atomic(self.db):
            run_id = self.db.execute(
                "INSERT INTO runs (command, args, started_at, status) VALUES (?, ?, ?, 'running')",
                (command, json.dumps(args), now_iso()),
            ).lastrowid
        figures: dict[str, Any] = {}
        status = "interrupted"
        try:
            yield figures
            status = figures.get("status", "ok")
        finally:
            with index.atomic(self.db):
                self.db.execute(
                    "UPDATE runs SET finished_at = ?, status = ?, stats = ? WHERE id = ?",
                    (now_iso(), status, json.dumps(figures), run_id),
                )
