"""``ft ask``: find the sentence that answers, not three sentences near the topic.

The sentence naming the answer is usually in a retrieved chunk but is rarely the one most like
the question as a whole, so candidates are scored one sentence at a time, by keywords and by
meaning together:

1. **vectors** are built on demand (a new user asks right after ``ft add``);
2. **candidates**: the chunks nearest the question by meaning, plus the chunks of the items the
   keyword index ranks first that share the question's words — more than the 16 nearest chunks;
3. **score** each sentence with a window of its neighbours: BM25 over the candidate sentences
   and cosine similarity to the question, each normalised, fused;
4. **answer** with the best passages, each cited; when even the nearest chunk is far from the
   question, or no sentence shares its meaning, "not found in your library".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index import Filters
from index.fts import search as keyword_search
from index.hybrid import allowed_ids
from index.reading import chunk_texts_of_items, chunks_by_id

from .recursive import Note, Reader, Reading, sentences
from .terms import bm25, content_words

__all__ = ["NOT_FOUND", "answer"]

NOT_FOUND = "not found in your library"
# Set on the dev half of demo/eval/questions.jsonl (never its test half).
NEAREST_CHUNKS = 48    # chunks taken by meaning
KEYWORD_ITEMS = 8      # items taken by keywords, each adding its chunks that share question words
ANSWERABLE = 0.33      # the nearest chunk of an answerable question scores above this (cosine)
SUPPORTING = 0.25      # the answering sentence (with its window) is at least this close
LEXICAL_WEIGHT = 0.5   # share of the fused score from BM25, the rest from meaning
NEIGHBOUR_WEIGHT = 0.3  # share of a sentence's scores that comes from the sentences beside it
RUNNER_UP = 0.85       # a second passage must score this share of the best


@dataclass
class Candidate:
    """One sentence of a candidate chunk, where it is, and its scores."""

    item_id: int
    chunk: int
    start: int
    end: int
    text: str
    score: float = 0.0
    meaning: float = 0.0


def answer(lib, question: str, filters: Filters, passages: int = 2,
           progress: Callable[[int, int], None] | None = None,
           on_sentence: Callable[[str, list[Note]], None] | None = None, rewrite_engine=None) -> Reading:
    """The best cited passages answering ``question``, or ``NOT_FOUND``; with ``rewrite_engine``
    each is condensed by the model (kept only when grounded, as in ``Reader.answer``)."""
    lib.embed(progress)  # only what is missing: nothing once the library is embedded
    vector = lib.embedder.embed([question])[0]
    hits = lib.vectors.search(vector, NEAREST_CHUNKS, allowed_ids(lib.db, filters))
    if not hits or hits[0].score < ANSWERABLE:
        return Reading([(NOT_FOUND, [])])
    words = content_words(question)
    chunk_ids = [h.chunk_id for h in hits] + _keyword_chunks(lib, question, words, filters)
    candidates = _sentences(lib, list(dict.fromkeys(chunk_ids)))
    _score(lib, candidates, words, vector)
    best = _best(candidates, passages)
    if not best or best[0].meaning < SUPPORTING:
        return Reading([(NOT_FOUND, [])], chunks=len(chunk_ids))
    reader = Reader(lib, rewrite_engine=rewrite_engine)
    notes = [Note(c.item_id, c.chunk, c.start, c.end, c.score, c.text) for c in best]
    return Reading(reader.answer(notes, in_source_order=False, on_sentence=on_sentence), reader.trace, len(chunk_ids))


def _keyword_chunks(lib, question: str, words: list[str], filters: Filters) -> list[int]:
    """Chunks of the items FTS ranks first for the question's words, those sharing most of them."""
    if not words:
        return []
    hits = keyword_search(lib.db, " ".join(words), filters, KEYWORD_ITEMS, any_word=True)
    rows = chunk_texts_of_items(lib.db, [h.item.id for h in hits])
    wanted = set(words)
    scored = [(len(wanted & set(content_words(text))), chunk_id, item_id) for chunk_id, item_id, text in rows]
    per_item: dict[int, int] = {}
    chosen = []
    for overlap, chunk_id, item_id in sorted(scored, reverse=True):
        if overlap and per_item.get(item_id, 0) < 4:
            per_item[item_id] = per_item.get(item_id, 0) + 1
            chosen.append(chunk_id)
    return chosen


def _sentences(lib, chunk_ids: list[int]) -> list[Candidate]:
    """The sentences of the chunks in source order, each once (chunks overlap)."""
    seen: set[tuple[int, int]] = set()
    out = []
    for item_id, seq, offset, _, text in chunks_by_id(lib.db, chunk_ids):
        for a, b in sentences(text):
            if (item_id, offset + a) not in seen:
                seen.add((item_id, offset + a))
                out.append(Candidate(item_id, seq, offset + a, offset + b, " ".join(text[a:b].split())))
    out.sort(key=lambda c: (c.item_id, c.start))
    return out


def _score(lib, candidates: list[Candidate], words: list[str], vector: np.ndarray) -> None:
    """Fuse keyword and meaning scores per sentence, each blended with its neighbours' (a window)."""
    if not candidates:
        return
    lexical = _window(np.array(bm25(words, [content_words(c.text) for c in candidates])), candidates)
    meaning = _window(lib.embedder.embed([c.text for c in candidates]) @ vector, candidates)
    fused = LEXICAL_WEIGHT * lexical / max(float(lexical.max()), 1e-9) + (1 - LEXICAL_WEIGHT) * meaning / max(float(meaning.max()), 1e-9)
    for c, m, f in zip(candidates, meaning, fused):
        c.meaning, c.score = float(m), float(f)


def _window(scores: np.ndarray, candidates: list[Candidate]) -> np.ndarray:
    """Each sentence's score blended with the mean of its neighbours' in the same item."""
    out = scores.astype(float).copy()
    for i, c in enumerate(candidates):
        beside = [scores[j] for j in (i - 1, i + 1) if 0 <= j < len(candidates) and candidates[j].item_id == c.item_id]
        if beside:
            out[i] = (1 - NEIGHBOUR_WEIGHT) * scores[i] + NEIGHBOUR_WEIGHT * float(np.mean(beside))
    return out


def _best(candidates: list[Candidate], passages: int) -> list[Candidate]:
    """The top sentences, each with the sentence after it (the answer often follows the sentence
    that matches the question's words); a further passage only when it scores near the first."""
    chosen: list[Candidate] = []
    ranked = sorted(range(len(candidates)), key=lambda i: -candidates[i].score)
    top = candidates[ranked[0]].score if ranked else 0.0
    for i in ranked:
        c = candidates[i]
        if len(chosen) >= 2 * passages or c.score < RUNNER_UP * top:
            break
        if any(c.item_id == o.item_id and abs(c.start - o.start) <= 400 for o in chosen):
            continue
        chosen.append(c)
        after = candidates[i + 1] if i + 1 < len(candidates) else None
        if after and after.item_id == c.item_id and 0 <= after.start - c.end < 20:
            chosen.append(after)
    return chosen
