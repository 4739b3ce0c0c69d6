"""Keeping chunks and vectors in step with items, incrementally and resumably.

``chunk_items`` re-cuts only items whose content changed since they were
chunked (their old chunks and vectors go). ``embed_chunks`` embeds only chunks
that have no vector under the current model, a batch per transaction, so an
interrupted run keeps what it finished and the next run does the rest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import sqlite_utils

from .chunking import chunk_text
from .db import atomic
from .vectors import quantize

__all__ = ["EmbedReport", "Embedder", "chunk_items", "embed_chunks", "has_vectors", "sample_texts", "vector_count",
           "vector_counts"]

Progress = Callable[[int, int], None]
CHUNK_TOKENS = 200  # leaves room for the title within MiniLM's 256-token window
OVERLAP_TOKENS = 40


class Embedder(Protocol):
    """What keeping vectors needs of a model: its id, its width, token counts and vectors.

    The models layer (``npu.embedder``) implements it; the index only calls it.
    """

    model_id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows of unit length."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text takes (without special tokens), for chunking."""


@dataclass
class EmbedReport:
    model: str
    items_chunked: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    other_models: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict:
        return {**self.__dict__, "rate": self.rate}


def vector_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """How many chunks each embedding model has vectors for."""
    return {m: n for m, n in db.execute("SELECT model, count(*) FROM embeddings GROUP BY model")}


def has_vectors(db: sqlite_utils.Database, model: str) -> bool:
    """Whether ``model`` has any vector: one index probe, cheap enough for every search."""
    return db.execute("SELECT 1 FROM embeddings WHERE model = ? LIMIT 1", (model,)).fetchone() is not None


def vector_count(db: sqlite_utils.Database, model: str) -> int:
    return db.execute("SELECT count(*) FROM embeddings WHERE model = ?", (model,)).fetchone()[0]


def sample_texts(db: sqlite_utils.Database, samples: int) -> list[str]:
    """Up to ``samples`` random chunks as the embedder sees them (title, newline, text); item
    beginnings when nothing is chunked yet."""
    rows = db.execute(
        'SELECT i.title, substr(i.text, c.start + 1, c."end" - c.start) FROM chunks c JOIN items i ON i.id = c.item_id '
        "ORDER BY random() LIMIT ?", (samples,)
    ).fetchall() or db.execute("SELECT title, substr(text, 1, 1500) FROM items ORDER BY random() LIMIT ?", (samples,)).fetchall()
    return [f"{t}\n{x}" for t, x in rows]


def chunk_items(db: sqlite_utils.Database, embedder: Embedder, batch: int = 500) -> int:
    """Chunk new and changed items; return how many items were (re)chunked."""
    stale = [row[0] for row in db.execute(
        "SELECT id FROM items WHERE NOT EXISTS (SELECT 1 FROM chunks c "
        "WHERE c.item_id = items.id AND c.item_hash = items.content_hash)"
    )]
    for start in range(0, len(stale), batch):
        ids = json.dumps(stale[start : start + batch])
        rows = db.execute(
            "SELECT id, text, content_hash FROM items WHERE id IN (SELECT value FROM json_each(?))", (ids,)
        ).fetchall()
        cut = [(item_id, digest, chunk_text(text, embedder.count_tokens, CHUNK_TOKENS, OVERLAP_TOKENS))
               for item_id, text, digest in rows]
        with atomic(db):
            db.execute("DELETE FROM embeddings WHERE chunk_id IN (SELECT id FROM chunks "
                       "WHERE item_id IN (SELECT value FROM json_each(?)))", (ids,))
            db.execute("DELETE FROM chunks WHERE item_id IN (SELECT value FROM json_each(?))", (ids,))
            db.conn.executemany(
                'INSERT INTO chunks (item_id, seq, start, "end", item_hash) VALUES (?, ?, ?, ?, ?)',
                [(item_id, c.seq, c.start, c.end, digest) for item_id, digest, chunks in cut for c in chunks],
            )
    return len(stale)


def embed_chunks(db: sqlite_utils.Database, embedder: Embedder, batch: int = 256,
                 progress: Progress | None = None) -> int:
    """Embed every chunk without a vector under ``embedder.model_id``; return how many."""
    pending = [row[0] for row in db.execute(
        "SELECT c.id FROM chunks c LEFT JOIN embeddings e ON e.chunk_id = c.id AND e.model = ? "
        "WHERE e.chunk_id IS NULL ORDER BY c.id", (embedder.model_id,)
    )]
    done = 0
    for start in range(0, len(pending), batch):
        ids = json.dumps(pending[start : start + batch])
        rows = db.execute(
            'SELECT c.id, i.title, substr(i.text, c.start + 1, c."end" - c.start) FROM chunks c '
            "JOIN items i ON i.id = c.item_id WHERE c.id IN (SELECT value FROM json_each(?))", (ids,)
        ).fetchall()
        vectors = embedder.embed([f"{title}\n{text}" if title else text for _, title, text in rows])
        records = []
        for (chunk_id, _, _), vector in zip(rows, vectors):
            blob, scale = quantize(vector)
            records.append((chunk_id, embedder.model_id, len(vector), "int8", scale, blob))
        with atomic(db):
            db.conn.executemany(
                "INSERT INTO embeddings (chunk_id, model, dim, dtype, scale, vector) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (chunk_id, model) DO UPDATE SET dim = excluded.dim, dtype = excluded.dtype, "
                "scale = excluded.scale, vector = excluded.vector",  # an UPDATE, so vector_state's trigger sees it
                records,
            )
        done += len(rows)
        if progress:
            progress(done, len(pending))
    return done


def run(db: sqlite_utils.Database, embedder: Embedder, progress: Progress | None = None,
        batch: int = 256) -> EmbedReport:
    """Chunk what changed, then embed what is missing, ``batch`` chunks a transaction."""
    started = time.perf_counter()
    report = EmbedReport(model=embedder.model_id)
    report.other_models = {m: n for m, n in vector_counts(db).items() if m != embedder.model_id}
    report.items_chunked = chunk_items(db, embedder)
    report.embedded = embed_chunks(db, embedder, batch, progress)
    report.chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    report.seconds = time.perf_counter() - started
    return report
