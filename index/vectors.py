"""Vectors in SQLite, searched in memory.

A vector is stored as int8 with one float scale per row (384 bytes for
MiniLM instead of 1,536 as float32; cosine agreement with the float vector
above 0.999). For search, one model's vectors are a float32 matrix of unit
rows, and a query is one matrix-vector product plus a partial sort:
milliseconds at 100,000 chunks, where decoding every blob in Python per query
(what ``llm similar`` does) takes seconds.

Building that matrix from a million rows takes seconds and gigabytes, too much
for every ``ft search``. So the matrix is saved beside the library
(``library.vectors/``, owner-only) and memory-mapped: a new process opens it in
milliseconds and every process shares the same pages. ``vector_state`` (kept by
triggers) says when it is stale: one indexed lookup per search.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlite_utils

__all__ = ["VectorIndex", "VectorHit", "dequantize", "quantize"]


BLOCK = 65_536  # rows converted at a time: the build's extra memory stays small
ARRAYS = ("matrix", "chunk_ids", "item_ids")
SAVE_FROM = 20_000  # rows: below this, building the matrix takes less time than reading a file


def _cache_folder(db: sqlite_utils.Database) -> Path | None:
    """``<library>.vectors/`` beside the database file (none for an in-memory database)."""
    name = db.execute("PRAGMA database_list").fetchone()[2]
    if not name:
        return None
    return Path(name).with_suffix(".vectors")


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "_", model)


def quantize(vector: np.ndarray) -> tuple[bytes, float]:
    """int8 bytes and the scale that maps them back: ``v ≈ int8 * scale``."""
    peak = float(np.abs(vector).max()) or 1.0
    scale = peak / 127.0
    return np.round(vector / scale).astype(np.int8).tobytes(), scale


def dequantize(blob: bytes, scale: float) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.int8).astype(np.float32) * scale


@dataclass
class VectorHit:
    chunk_id: int
    item_id: int
    score: float  # cosine similarity


class VectorIndex:
    """One embedding model's vectors as a matrix, kept in step with the database."""

    def __init__(self, db: sqlite_utils.Database, model: str) -> None:
        self.db = db
        self.model = model
        self._stamp: tuple[int, int] | None = None
        self.matrix = np.zeros((0, 0), dtype=np.float32)  # (N, dim) unit rows
        self.chunk_ids = np.zeros(0, dtype=np.int64)  # (N,)
        self.item_ids = np.zeros(0, dtype=np.int64)  # (N,)

    def __len__(self) -> int:
        self._refresh()
        return len(self.chunk_ids)

    def _refresh(self) -> None:
        row = self.db.execute("SELECT generation, rows FROM vector_state WHERE model = ?", (self.model,)).fetchone()
        stamp = tuple(row) if row else (0, 0)
        if stamp == self._stamp:
            return
        folder = _cache_folder(self.db)
        saved = folder / f"{_slug(self.model)}-{stamp[0]}-{stamp[1]}" if folder else None
        if saved and saved.exists():
            self._open(saved)
        else:
            self._build()
            if saved and stamp[1] >= SAVE_FROM:
                self._save(saved)
                self._open(saved)
        self._stamp = stamp

    def _build(self) -> None:
        """Read the vectors block by block into unit float32 rows (the int8 scale cancels out)."""
        rows = self.db.execute(
            "SELECT e.chunk_id, c.item_id, e.vector FROM embeddings e "
            "JOIN chunks c ON c.id = e.chunk_id WHERE e.model = ? ORDER BY e.chunk_id",
            (self.model,),
        )
        chunk_ids, item_ids, blobs = [], [], []
        for chunk_id, item_id, blob in rows:
            chunk_ids.append(chunk_id)
            item_ids.append(item_id)
            blobs.append(blob)
        self.chunk_ids = np.array(chunk_ids, dtype=np.int64)
        self.item_ids = np.array(item_ids, dtype=np.int64)
        if not blobs:
            self.matrix = np.zeros((0, 0), dtype=np.float32)
            return
        data = np.frombuffer(b"".join(blobs), dtype=np.int8).reshape(len(blobs), -1)
        del blobs
        self.matrix = np.empty(data.shape, dtype=np.float32)
        for start in range(0, len(data), BLOCK):
            block = data[start : start + BLOCK].astype(np.float32)
            block /= np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-12)
            self.matrix[start : start + BLOCK] = block

    def _save(self, path: Path) -> None:
        """Write to a private folder and rename it (another process may be reading), then
        drop older copies: a process that has one mapped keeps its pages."""
        path.parent.mkdir(mode=0o700, exist_ok=True)
        for old in path.parent.glob(f"{_slug(self.model)}-*"):
            shutil.rmtree(old, ignore_errors=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.mkdir(mode=0o700)
        for name in ARRAYS:
            with os.fdopen(os.open(partial / f"{name}.npy", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                np.save(f, getattr(self, name))
        os.replace(partial, path)

    def _open(self, path: Path) -> None:
        """Map the saved arrays: nothing is copied, and the pages are shared between processes."""
        for name in ARRAYS:
            setattr(self, name, np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False))

    def search(self, query: np.ndarray, k: int, allowed_items: np.ndarray | None = None,
               exclude_item: int | None = None) -> list[VectorHit]:
        """The ``k`` chunks most similar to ``query``, restricted before ranking to ``allowed_items``."""
        self._refresh()
        if not len(self.chunk_ids):
            return []
        scores = self.matrix @ query.astype(np.float32)  # (N,)
        if allowed_items is not None:
            scores = np.where(np.isin(self.item_ids, allowed_items), scores, -np.inf)
        if exclude_item is not None:
            scores = np.where(self.item_ids == exclude_item, -np.inf, scores)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [VectorHit(int(self.chunk_ids[i]), int(self.item_ids[i]), float(scores[i]))
                for i in top if np.isfinite(scores[i])]

    def chunk_vectors(self, item_id: int) -> np.ndarray:
        """(C, dim) the unit vectors of an item's chunks, in chunk order; (0, dim) for none."""
        self._refresh()
        return np.asarray(self.matrix[self.item_ids == item_id])

    def item_vector(self, item_id: int) -> np.ndarray | None:
        """The mean of an item's chunk vectors, normalised: the item as one point."""
        rows = self.chunk_vectors(item_id)
        if not len(rows):
            return None
        mean = rows.mean(axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-12)
