"""``ft summarize`` and ``ft ask``: the recursive reader applied to items, collections and questions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ft.core.errors import FtError
from index.hybrid import allowed_ids
from index.reading import chunks_by_id, latest_summary, save_summary

from .abstractive import Writer
from .recursive import Reader, Reading

if TYPE_CHECKING:
    from ft.library import Library
    from local_models import Engine

__all__ = ["NOT_FOUND", "ask", "stored_summary", "summarize", "writer"]

NOT_FOUND = "not found in your library"
# Tuned on questions over the demo and sample library: the chunk nearest an answerable question
# scored 0.44–0.74 (cosine), the nearest to questions the library cannot answer 0.12–0.25.
ANSWERABLE = 0.33
SUPPORTING = 0.25  # an answer sentence must be at least this close to the question


def auto_length(chunks: int) -> int:
    """Sentences for a summary when none is asked for: more for longer input (30 for 4 hours)."""
    return max(5, min(30, round(1.5 * chunks ** 0.5)))


def writer(lib: Library, task: str, model: str | None, abstractive: bool | None) -> Engine | None:
    """The engine that writes summaries and answers, or ``None`` for the extractive path.

    ``abstractive`` forces the choice; left ``None``, a model the user chose (``--model`` or the
    task's in ``config.json``) writes when it is capable (an instruct model with a chat format, or
    a server). The shipped default is a base model, so without a choice nothing is loaded."""
    if abstractive is False or (abstractive is None and not (model or lib.settings.model_for(task))):
        return None
    engine = lib.engine(task, model)
    return engine if abstractive or engine.capable else None


def summarize(lib: Library, item_ids: list[int], sentences: int | None = None, rewrite_engine=None, subject: str | None = None,
              style: str = "summary", on_sentence=None, writing_engine: Engine | None = None) -> Reading:
    """A cited summary of one item or a collection, any length: map every chunk, reduce to
    ``sentences`` (by default more for longer input). With a ``writing_engine`` the model writes
    the notes, their merges and the summary (``abstractive``); otherwise sentences are chosen."""
    if not item_ids:
        raise FtError("nothing to summarize: no items match")
    reader = Reader(lib, rewrite_engine=rewrite_engine)
    chunks = reader.chunks(item_ids)
    keep = sentences or auto_length(len(chunks))
    if writing_engine is not None:
        written = Writer(reader, writing_engine)
        answer = written.answer(written.reduce(written.map(chunks), keep), keep, on_sentence=on_sentence)
        reading = Reading(answer, reader.trace, len(chunks), reader.cached, written.ungrounded)
    else:
        notes = reader.reduce(reader.map(chunks), keep)
        reading = Reading(reader.answer(notes, on_sentence=on_sentence), reader.trace, len(chunks), reader.cached)
    if subject:
        engine = writing_engine or rewrite_engine
        model = engine.model_id if engine is not None else lib.embedder_id
        save_summary(lib.db, subject, style, reading.text, reading.to_dict()["sentences"], model)
    return reading


def stored_summary(lib: Library, item_id: int) -> str | None:
    return latest_summary(lib.db, f"item:{item_id}")


def ask(lib: Library, question: str, filters, sentences: int = 3, chunks: int = 16, rewrite_engine=None,
        on_sentence=None, writing_engine: Engine | None = None) -> Reading:
    """Retrieve the chunks nearest the question, read them recursively, answer with citations —
    or say ``not found in your library`` when nothing read is close enough to answer. With a
    ``writing_engine`` the model writes the answer from notes on the nearest chunks."""
    if not lib.has_vectors():
        raise FtError("ask needs vectors: run `ft embed` first")
    vector = lib.embedder.embed([question])[0]
    hits = lib.vectors.search(vector, chunks, allowed_ids(lib.db, filters))
    reader = Reader(lib, per_chunk=2, rewrite_engine=rewrite_engine)
    if not hits or hits[0].score < ANSWERABLE:
        return Reading([(NOT_FOUND, [])], reader.trace)
    if writing_engine is not None:  # the 8 nearest chunks: the closest carry the answer
        rows = chunks_by_id(lib.db, [h.chunk_id for h in hits[:8]])
        return _written_answer(Writer(reader, writing_engine, per_chunk=2), question, rows, sentences, on_sentence)
    rows = chunks_by_id(lib.db, [h.chunk_id for h in hits])
    notes = reader.reduce(reader.map(rows, vector), sentences, vector)
    texts = [n.text for n in notes]
    similarity = lib.embedder.embed(texts) @ vector if texts else np.zeros(0)
    ranked = sorted(((float(s), n) for n, s in zip(notes, similarity) if s >= SUPPORTING), key=lambda p: -p[0])
    if not ranked:
        return Reading([(NOT_FOUND, [])], reader.trace, len(rows))
    answer = reader.answer([n for _, n in ranked], in_source_order=False, on_sentence=on_sentence)  # closest first
    return Reading(answer, reader.trace, len(rows), reader.cached)


def _written_answer(written: Writer, question: str, rows, sentences: int, on_sentence) -> Reading:
    """The model's answer from notes on the chunks nearest the question; ``not found`` when it writes none."""
    notes = written.reduce(written.map(rows, question), sentences)
    answer = written.answer(notes, sentences, question, on_sentence)
    reader = written.reader
    return Reading(answer or [(NOT_FOUND, [])], reader.trace, len(rows), reader.cached, written.ungrounded)
