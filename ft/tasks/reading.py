"""``ft summarize`` and ``ft ask``: the recursive reader applied to items, collections and questions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ft.core.errors import FtError
from index.hybrid import allowed_ids
from index.reading import chunks_by_id, latest_summary, save_summary

from .recursive import Reader, Reading

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["NOT_FOUND", "ask", "stored_summary", "summarize"]

NOT_FOUND = "not found in your library"
# Tuned on questions over the demo and sample library: the chunk nearest an answerable question
# scored 0.44–0.74 (cosine), the nearest to questions the library cannot answer 0.12–0.25.
ANSWERABLE = 0.33
SUPPORTING = 0.25  # an answer sentence must be at least this close to the question


def auto_length(chunks: int) -> int:
    """Sentences for a summary when none is asked for: more for longer input (30 for 4 hours)."""
    return max(5, min(30, round(1.5 * chunks ** 0.5)))


def summarize(lib: Library, item_ids: list[int], sentences: int | None = None, rewrite_engine=None, subject: str | None = None,
              style: str = "summary", on_sentence=None) -> Reading:
    """A cited summary of one item or a collection, any length: map every chunk, reduce to
    ``sentences`` (by default more for longer input)."""
    if not item_ids:
        raise FtError("nothing to summarize: no items match")
    reader = Reader(lib, rewrite_engine=rewrite_engine)
    chunks = reader.chunks(item_ids)
    notes = reader.reduce(reader.map(chunks), sentences or auto_length(len(chunks)))
    reading = Reading(reader.answer(notes, on_sentence=on_sentence), reader.trace, len(chunks), reader.cached)
    if subject:
        model = rewrite_engine.model_id if rewrite_engine is not None else lib.embedder_id
        save_summary(lib.db, subject, style, reading.text, reading.to_dict()["sentences"], model)
    return reading


def stored_summary(lib: Library, item_id: int) -> str | None:
    return latest_summary(lib.db, f"item:{item_id}")


def ask(lib: Library, question: str, filters, sentences: int = 3, chunks: int = 16, rewrite_engine=None,
        on_sentence=None) -> Reading:
    """Retrieve the chunks nearest the question, read them recursively, answer with citations —
    or say ``not found in your library`` when nothing read is close enough to answer."""
    if not lib.has_vectors():
        raise FtError("ask needs vectors: run `ft embed` first")
    vector = lib.embedder.embed([question])[0]
    hits = lib.vectors.search(vector, chunks, allowed_ids(lib.db, filters))
    reader = Reader(lib, per_chunk=2, rewrite_engine=rewrite_engine)
    if not hits or hits[0].score < ANSWERABLE:
        return Reading([(NOT_FOUND, [])], reader.trace)
    rows = chunks_by_id(lib.db, [h.chunk_id for h in hits])
    notes = reader.reduce(reader.map(rows, vector), sentences, vector)
    texts = [n.text for n in notes]
    similarity = lib.embedder.embed(texts) @ vector if texts else np.zeros(0)
    ranked = sorted(((float(s), n) for n, s in zip(notes, similarity) if s >= SUPPORTING), key=lambda p: -p[0])
    if not ranked:
        return Reading([(NOT_FOUND, [])], reader.trace, len(rows))
    answer = reader.answer([n for _, n in ranked], in_source_order=False, on_sentence=on_sentence)  # closest first
    return Reading(answer, reader.trace, len(rows), reader.cached)
