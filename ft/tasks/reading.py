"""``ft summarize`` and ``ft ask``: the recursive reader applied to items, collections and questions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ft.core.errors import FtError
from index.reading import latest_summary, save_summary

from .answer import NOT_FOUND, answer
from .recursive import Reader, Reading

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["NOT_FOUND", "ask", "stored_summary", "summarize"]


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


def ask(lib: Library, question: str, filters, sentences: int = 2, rewrite_engine=None, on_sentence=None,
        progress=None) -> Reading:
    """Answer from the library with the cited passages that answer (``answer``: sentence-level
    keywords and meaning fused, vectors built on demand), or ``not found in your library``."""
    return answer(lib, question, filters, sentences, progress, on_sentence, rewrite_engine)
