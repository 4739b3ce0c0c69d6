"""``ft summarize`` and ``ft ask``: the recursive reader applied to items, collections and questions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ft.core.errors import FtError
from index.reading import chunks_of_items, latest_summary, save_summary

from .abstractive import Writer
from .answer import NOT_FOUND, answer
from .recursive import Reader, Reading

if TYPE_CHECKING:
    from ft.library import Library
    from local_models import Engine

__all__ = ["NOT_FOUND", "ask", "stored_summary", "summarize", "writer"]


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


def ask(lib: Library, question: str, filters, sentences: int = 2, rewrite_engine=None, on_sentence=None,
        progress=None, writing_engine: Engine | None = None) -> Reading:
    """Answer from the library with the cited passages that answer (``answer``: sentence-level
    keywords and meaning fused, vectors built on demand), or ``not found in your library``. With a
    ``writing_engine`` the model writes the answer from notes on the chunks those passages are in."""
    if writing_engine is None:
        return answer(lib, question, filters, sentences, progress, on_sentence, rewrite_engine)
    found = answer(lib, question, filters, sentences + 2, progress)
    cited = {(c.item_id, c.chunk) for _, notes in found.sentences for c in notes}
    if not cited:
        return found
    rows = [row for row in chunks_of_items(lib.db, sorted({item for item, _ in cited})) if (row[0], row[1]) in cited]
    return _written_answer(Writer(Reader(lib, per_chunk=2), writing_engine, per_chunk=2), question, rows, sentences,
                           on_sentence)


def _written_answer(written: Writer, question: str, rows, sentences: int, on_sentence) -> Reading:
    """The model's answer from notes on the chunks nearest the question; ``not found`` when it writes none."""
    notes = written.reduce(written.map(rows, question), sentences)
    answer = written.answer(notes, sentences, question, on_sentence)
    reader = written.reader
    return Reading(answer or [(NOT_FOUND, [])], reader.trace, len(rows), reader.cached, written.ungrounded)
