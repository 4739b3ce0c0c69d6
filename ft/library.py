"""``ft.Library``: the one object scripts, the CLI and the TUI use to reach a library.

It opens (and migrates) the SQLite file, and offers the verbs: add records,
import files, get, list, search, stats. Every failure a user can cause comes
out as an ``FtError`` with a message that names the item and the fix.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import index
from index import Filters, Hit, Item, Record, Skipped, Stats, UpsertResult
from index import embed as embedding
from index import overview
from index.embed import Embedder
from index.hybrid import Mode, hybrid_search, semantic_search, similar
from index.runs import finish_run, start_run
from index.vectors import VectorIndex
from npu.embedder import expected_model_id, load_embedder

from . import sources
from .core.config import load_settings, resolve_db
from .core.errors import FtError, LibraryError, NotFound, SearchError, SourceError
from .core.privacy import private_dir, private_file
from .core.report import Report
from .core.settings import Settings

if TYPE_CHECKING:
    from local_models import Engine

    from .sync.fetch import Fetcher
    from .sync.web import Endpoints

__all__ = ["ImportReport", "Library", "Report"]

Progress = Callable[[Path, int, int], None]


ImportReport = Report  # the name before there was one report type; ``ft.ImportReport`` still works


@dataclass
class _Models:
    """The models a library shares with its connections for other threads, each loaded on first use."""

    embedder: Embedder | None = None
    engines: dict[tuple[str, int | None], Engine] = field(default_factory=dict)
    loaded_embedder: bool = False  # loaded here (so closed here), not handed in by the caller


class Library:
    """A personal library in one SQLite file, and the models that work on it.

    :param where: a ``.db`` file, a folder holding ``library.db``, or ``None``
        for the default (``FT_HOME`` or the XDG data folder).
    :param embedder: the embedder for semantic search and ``embed``; by default
        the one ``config.json`` names, loaded on first use.
    :param settings: the home's settings when the caller has read them already;
        by default ``config.json`` beside the library is read, once.
    """

    def __init__(self, where: str | os.PathLike[str] | None = None, embedder: Embedder | None = None,
                 settings: Settings | None = None) -> None:
        self.path = resolve_db(where)
        self.settings: Settings = settings or load_settings(self.path.parent)
        self._models = _Models(embedder)
        self._owns_models = True
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
        """Close the database connection, and the engines this library loaded (not those it shares)."""
        self.db.conn.close()
        if self._owns_models:
            for engine in self._models.engines.values():
                engine.close()
            self._models.engines.clear()
            if self._models.loaded_embedder:
                _close(self._models.embedder)

    def for_thread(self) -> Library:
        """Another connection to this library for a worker thread (an SQLite connection stays in
        its thread), sharing this one's settings and models: what either loads, both use."""
        other = Library(self.path, settings=self.settings)
        other._models, other._owns_models = self._models, False
        return other

    def __repr__(self) -> str:
        return f"<Library {self.path}>"

    # -- writing -----------------------------------------------------------

    def add(self, records: Record | Iterable[Record]) -> UpsertResult:
        """Store records; an identical record already stored changes nothing."""
        if isinstance(records, Record):
            records = [records]
        with self.run("add", {}) as run:
            result = index.upsert(self.db, records)
            run.update(added=result.added, updated=result.updated, unchanged=result.unchanged)
        return result

    def add_any(self, targets: Iterable[str], as_format: str | None = None, progress: Progress | None = None) -> Report:
        """What ``ft add`` takes: files and folders are imported, http(s) URLs and ``arxiv:ID`` fetched."""
        targets = list(targets)
        remote = [t for t in targets if t.startswith(("http://", "https://", "arxiv:"))]
        local = [Path(t).expanduser() for t in targets if t not in remote]
        report = self.import_path(local, as_format=as_format, progress=progress) if local else Report("files")
        return report.merge(self.add_url(remote)) if remote else report

    def import_path(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        as_format: str | None = None,
        progress: Progress | None = None,
    ) -> Report:
        """Import files and folders, each file's format detected by its content.

        A file that cannot be read is reported in ``problems`` as one line and
        skipped; the rest are imported. ``as_format`` forces a format by name.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        named = [Path(p) for p in paths]
        report = Report("files")
        for missing in (p for p in named if not p.exists()):
            report.fail(f"{missing}: no such file or folder")
        files = list(sources.expand(p for p in named if p.exists()))
        with self.run("import", {"paths": [str(p) for p in named], "as": as_format}) as run:
            for done, path in enumerate(files, 1):
                self._import_file(path, as_format, report)
                if progress:
                    progress(path, done, len(files))
            run.update(report.to_dict())
        return report

    def _import_file(self, path: Path, as_format: str | None, report: Report) -> None:
        report.inputs += 1
        try:
            report.count(index.upsert(self.db, self._records(path, as_format, report)))
        except SourceError as exc:
            report.fail(str(exc))

    def _records(self, path: Path, as_format: str | None, report: Report) -> Iterator[Record]:
        """One file's records; the embedder is handed down unloaded, for the formats that need it."""
        for entry in sources.read(path, as_format, lambda texts: self.embedder.embed(texts)):
            if isinstance(entry, Skipped) and entry.expected:
                report.skipped += 1
            elif isinstance(entry, Skipped):
                report.problems.append(str(entry))
            else:
                yield entry

    # -- the network -------------------------------------------------------

    def add_url(self, targets: str | Iterable[str]) -> Report:
        """Fetch web pages (their readable text) and arXiv papers (``arxiv:ID`` or an arxiv.org link,
        metadata and PDF text) and store them; a target that cannot be fetched is one problem line."""
        from .sync.web import fetch

        report = Report("urls")
        with self._network() as (fetcher, endpoints):
            for target in [targets] if isinstance(targets, str) else targets:
                report.inputs += 1
                try:
                    report.count(self.add(fetch(fetcher, endpoints, target)))
                except SourceError as exc:
                    report.fail(str(exc))
        return report

    def attach_papers(self) -> Report:
        """Fetch every arXiv paper an item links to and link the two both ways."""
        from .sync.web import attach_papers

        with self._network() as (fetcher, endpoints):
            return attach_papers(self, fetcher, endpoints)

    def sync(self, sources: Sequence[str] | None = None, *, full: bool = False, resume: bool = False,
             folders: bool = False, media: bool = False) -> list[Report]:
        """Pull ``sources`` (``x``, ``feeds``, ``papers``; by default all, X only after ``ft login x``),
        one report each. ``full``, ``resume``, ``folders`` and ``media`` are X's (see ``ft sync --help``)."""
        from .sync.feeds import sync_feeds
        from .sync.web import attach_papers, sync_watches

        chosen = list(sources or (["x"] if (self.path.parent / "browser" / "x").exists() else []) + ["feeds", "papers"])
        unknown = [s for s in chosen if s not in ("x", "feeds", "papers")]
        if unknown:
            raise FtError(f"unknown source {unknown[0]!r}: ft sync knows x, feeds and papers")
        reports = []
        if "x" in chosen:
            from .sync.xsync import XConfig, sync_x

            try:
                reports.append(sync_x(self, XConfig.from_settings(self.settings), full=full, resume=resume,
                                      folders=folders, media=media))
            except FtError as exc:
                reports.append(Report("x", failed=1, problems=[str(exc)]))
        with self._network() as (fetcher, endpoints):
            if "feeds" in chosen:
                reports.append(sync_feeds(self, fetcher))
            if "papers" in chosen:
                reports.append(sync_watches(self, fetcher, endpoints).merge(attach_papers(self, fetcher, endpoints)))
        return reports

    @contextmanager
    def _network(self) -> Iterator[tuple[Fetcher, Endpoints]]:
        """A safe fetcher and the arXiv endpoints, as the settings allow, closed after the block."""
        from .sync.fetch import Fetcher
        from .sync.web import Endpoints

        fetcher = Fetcher(self.settings.allow_hosts)
        try:
            yield fetcher, Endpoints(self.settings.arxiv_api, self.settings.arxiv)
        finally:
            fetcher.close()

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
                return semantic_search(self.db, self.vectors, self.embedder.embed([query])[0], filters, limit)
            return hybrid_search(self.db, self.vectors, query, self.embedder.embed([query])[0], filters, limit)
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
        if self._models.embedder is None:
            self._models.embedder = self._load_embedder(self.settings.embedder)
            self._models.loaded_embedder = True
        return self._models.embedder

    def _load_embedder(self, name: str) -> Embedder:
        """A server URL's ``RemoteEmbedder``, or one of ``npu.embedder``'s local models."""
        if _is_server(name):
            from local_models.remote_embedder import RemoteEmbedder

            return RemoteEmbedder(name, self.settings.embed_batch, self.settings.embed_parallel)
        return load_embedder(name, self.settings.device, self.notices.append, self.path.parent / "models")

    @property
    def embedder_id(self) -> str:
        """The model id vectors are stored under, known without loading a local model (a server is asked)."""
        if self._models.embedder is not None or _is_server(self.settings.embedder):
            return self.embedder.model_id
        return expected_model_id(self.settings.embedder, self.settings.device, self.path.parent / "models")

    # -- language models -------------------------------------------------------

    def engine(self, task: str = "default", model: str | None = None, n_ctx: int | None = None) -> Engine:
        """The language model for ``task`` (``classify``, ``summarize``, ``ask``, …): ``model`` when
        given (a registry name, GGUF path, GenAI folder or server URL), else the one ``config.json``
        names for the task. Loaded on first use and kept until ``close``."""
        from local_models import DEFAULT_MODEL, load_engine

        key = (model or self.settings.model_for(task) or DEFAULT_MODEL, n_ctx)
        if key not in self._models.engines:
            self._models.engines[key] = load_engine(key[0], settings=self.settings, n_ctx=n_ctx)
        return self._models.engines[key]

    @property
    def vectors(self) -> VectorIndex:
        if self._vectors is None or self._vectors.model != self.embedder_id:
            self._vectors = VectorIndex(self.db, self.embedder_id)
        return self._vectors

    def has_vectors(self) -> bool:
        """Whether the current embedder has any vectors: one index probe, cheap on every search."""
        return embedding.has_vectors(self.db, self.embedder_id)

    def vector_count(self) -> int:
        return embedding.vector_count(self.db, self.embedder_id)

    def quantize_embedder(self, samples: int = 320, seq: int = 128, batch: int = 8) -> tuple[Path, float, float]:
        """Build the static int8 embedder NPUs need, calibrated on a sample of this library.

        Returns the model's path and its mean and minimum cosine agreement with
        the float model on held-out chunks of the library.
        """
        from npu.embedder import build_npu_embedder

        return build_npu_embedder(embedding.sample_texts(self.db, samples), self.path.parent / "models", seq, batch)

    def embed(self, progress: Callable[[int, int], None] | None = None,
              model: str | None = None) -> embedding.EmbedReport:
        """Chunk new and changed items and embed every chunk the current model has no vector for.

        ``model`` (a name, path or server URL) embeds with another model than the configured
        one; its vectors are kept beside the others, and search goes on using the configured one.
        Safe to interrupt: finished batches stay, and the next run does only the rest.
        """
        name = model or self.settings.embedder
        other = name != self.settings.embedder
        embedder = self._load_embedder(name) if other else self.embedder
        # A server's answers are stored as soon as the requests in flight are answered (its
        # ``window``): a run broken off (the server gone, ft killed) loses at most that much.
        batch = getattr(embedder, "window", 256)
        try:
            with self.run("embed", {"model": embedder.model_id}) as run:
                report = embedding.run(self.db, embedder, progress, batch)
                run.update(report.to_dict())
        finally:
            if other:
                _close(embedder)
        if other:
            self.notices.append(f"search uses {self.settings.embedder}; to search these vectors, set "
                                f'"embeddings": {{"model": "{name}"}} in {self.path.parent / "config.json"}')
        elif report.other_models and report.embedded:
            self.notices.append(
                f"the embedding model is now {report.model}; vectors of "
                + ", ".join(f"{m} ({n})" for m, n in report.other_models.items())
                + " are kept but not searched"
            )
        return report

    def delete(self, item_id: int) -> dict[str, Any]:
        """Remove an item and everything hanging off it; returns what ``restore`` needs to undo it."""
        self.get(item_id)
        return index.delete_item(self.db, item_id)

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Put back an item ``delete`` removed, with its id, labels and links (chunks are re-made by embed)."""
        index.restore_item(self.db, snapshot)

    def mark_opened(self, item_id: int) -> None:
        """Note that the user looked at an item (``ft show``, the TUI), so it is no forgotten gem."""
        overview.mark_opened(self.db, item_id)

    def links(self, item_id: int) -> list[tuple[str, str, Item]]:
        """Edges touching an item as ``(rel, "out"|"in", other item)``."""
        return [(rel, direction, self.get(other)) for rel, direction, other in index.item_links(self.db, item_id)]

    def stats(self) -> Stats:
        """Counts by source, kind and label, and the library's size."""
        return index.stats(self.db, str(self.path))

    # -- run log -------------------------------------------------------------

    @contextmanager
    def run(self, command: str, args: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Log a command that changes the library: started before the block, finished after it with the
        figures the block put in the yielded dict (its ``status`` too), ``interrupted`` if it raised."""
        run_id = start_run(self.db, command, args)
        figures: dict[str, Any] = {}
        status = "interrupted"
        try:
            yield figures
            status = figures.get("status", "ok")
        finally:
            finish_run(self.db, run_id, status, figures)


def _close(embedder: Embedder | None) -> None:
    """Let go of what an embedder holds (a server embedder's connections); local ones hold nothing to close."""
    close = getattr(embedder, "close", None)
    if close is not None:
        close()


def _is_server(embedder: str) -> bool:
    """Whether the configured embedder is an OpenAI-compatible server (``local_models.remote_embedder``)."""
    return embedder.startswith(("http://", "https://"))
