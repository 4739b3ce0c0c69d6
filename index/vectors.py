"""Vectors in SQLite, searched in memory.

A vector is stored as int8 with one float scale per row (384 bytes for
MiniLM instead of 1,536 as float32; cosine agreement with the float vector
above 0.999). For search, one model's vectors are loaded once into a float32
matrix of unit rows, and a query is one matrix-vector product plus a partial
sort: milliseconds at 100,000 chunks, where decoding every blob in Python
per query (what ``llm similar`` does) takes seconds. The matrix is reloaded
only when the table changed (``PRAGMA data_version`` sees other processes'
commits; this process bumps ``generation`` when it writes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sqlite_utils

__all__ = ["VectorIndex", "VectorHit", "dequantize", "quantize"]


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

    generation = 0  # bumped by writers in this process

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
        stamp = (self.db.execute("PRAGMA data_version").fetchone()[0], VectorIndex.generation)
        if stamp == self._stamp:
            return
        rows = self.db.execute(
            "SELECT e.chunk_id, c.item_id, e.scale, e.vector FROM embeddings e "
            "JOIN chunks c ON c.id = e.chunk_id WHERE e.model = ? ORDER BY e.chunk_id",
            (self.model,),
        ).fetchall()
        if rows:
            dim = len(rows[0][3])
            data = np.frombuffer(b"".join(r[3] for r in rows), dtype=np.int8).reshape(len(rows), dim)
            scales = np.array([r[2] for r in rows], dtype=np.float32)[:, None]
            matrix = data.astype(np.float32) * scales
            self.matrix = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        else:
            self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.chunk_ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.item_ids = np.array([r[1] for r in rows], dtype=np.int64)
        self._stamp = stamp

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

    def item_vector(self, item_id: int) -> np.ndarray | None:
        """The mean of an item's chunk vectors, normalised: the item as one point."""
        self._refresh()
        rows = self.matrix[self.item_ids == item_id]
        if not len(rows):
            return None
        mean = rows.mean(axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-12)
