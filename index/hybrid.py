"""Search by meaning, by keywords, or both fused.

Semantic search embeds the query, ranks chunks by cosine similarity (filters
applied before ranking) and keeps each item's best chunk, which becomes the
snippet and the cited span. Hybrid search runs both and fuses the two rankings
by reciprocal rank fusion — an item's score is the sum of 1/(60 + rank) over
the lists it appears in — which needs no score calibration between BM25 and
cosine and rewards items both methods agree on.
"""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import sqlite_utils

from .fts import Hit
from .fts import search as keyword_search
from .items import Filters, item_from_row
from .store import LABELS_SQL
from .vectors import VectorIndex

__all__ = ["Mode", "RRF_K", "allowed_ids", "hybrid_search", "semantic_search", "similar"]

Mode = Literal["keyword", "semantic", "hybrid"]
RRF_K = 60
SNIPPET_CHARS = 280


def allowed_ids(db: sqlite_utils.Database, filters: Filters) -> np.ndarray | None:
    """The ids of the items ``filters`` lets through, or ``None`` for all of them."""
    where, params = filters.where()
    if where == "1":
        return None
    return np.array([r[0] for r in db.execute(f"SELECT id FROM items WHERE {where}", params)], dtype=np.int64)


def _chunk_hits(db: sqlite_utils.Database, found, limit: int) -> list[Hit]:
    """Items of the best chunks, best first, one per item, with the chunk as snippet and span."""
    best: dict[int, tuple[int, float]] = {}
    for hit in found:
        if hit.item_id not in best:
            best[hit.item_id] = (hit.chunk_id, hit.score)
        if len(best) == limit:
            break
    if not best:
        return []
    chunk_ids = json.dumps([c for c, _ in best.values()])
    rows = db.execute(
        f'SELECT items.*, {LABELS_SQL}, c.id AS chunk_id, c.start AS chunk_start, c."end" AS chunk_end '
        "FROM chunks c JOIN items ON items.id = c.item_id WHERE c.id IN (SELECT value FROM json_each(?))",
        (chunk_ids,),
    )
    cols = [d[0] for d in rows.description]
    by_item = {r["id"]: r for r in (dict(zip(cols, row)) for row in rows)}
    hits = []
    for item_id, (_, score) in best.items():
        row = by_item[item_id]
        span = (row["chunk_start"], row["chunk_end"])
        text = row["text"][span[0] : span[1]]
        snippet = text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
        hits.append(Hit(item=item_from_row(row), score=score, snippet=snippet, chunk=span))
    return hits


def semantic_search(db: sqlite_utils.Database, index: VectorIndex, vector: np.ndarray,
                    filters: Filters, limit: int = 20) -> list[Hit]:
    """Items whose chunks are nearest to the query's ``vector`` (the caller's embedder made it)."""
    return _chunk_hits(db, index.search(vector, limit * 8, allowed_ids(db, filters)), limit)


def similar(db: sqlite_utils.Database, index: VectorIndex, item_id: int, filters: Filters, limit: int = 10) -> list[Hit]:
    """Items nearest to an item's own vector (the mean of its chunks), itself excluded."""
    vector = index.item_vector(item_id)
    if vector is None:
        return []
    return _chunk_hits(db, index.search(vector, limit * 8, allowed_ids(db, filters), exclude_item=item_id), limit)


def hybrid_search(db: sqlite_utils.Database, index: VectorIndex, query: str, vector: np.ndarray,
                  filters: Filters, limit: int = 20, depth: int = 50) -> list[Hit]:
    """Keyword (``query``) and semantic (its ``vector``) rankings, ``depth`` deep each, fused by reciprocal rank."""
    keyword = keyword_search(db, query, filters, depth)
    meaning = semantic_search(db, index, vector, filters, depth)
    fused: dict[int, float] = {}
    chosen: dict[int, Hit] = {}
    for ranking in (keyword, meaning):
        for rank, hit in enumerate(ranking, 1):
            fused[hit.item.id] = fused.get(hit.item.id, 0.0) + 1.0 / (RRF_K + rank)
            chosen.setdefault(hit.item.id, hit)  # the keyword snippet, when there is one
    semantic_spans = {h.item.id: h.chunk for h in meaning}
    order = sorted(fused, key=fused.__getitem__, reverse=True)[:limit]
    results = []
    for item_id in order:
        hit = chosen[item_id]
        results.append(Hit(item=hit.item, score=fused[item_id], snippet=hit.snippet,
                           chunk=hit.chunk or semantic_spans.get(item_id)))
    return results
