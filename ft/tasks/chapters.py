"""Summaries of long items as chapters: what each part of a long talk is about, in its own words.

The central sentences of a four-hour conversation are its most generic ones ("So it let the
models learn."), so a long item is read the other way round:

1. **units**: whole sentences; captions without punctuation are cut at speaker turns (``>>``)
   and at the words that open a new thought (``ft.tasks.units``), never inside a sentence;
2. **chapters**: a TextTiling-style segmentation of the units' embeddings, the deepest drops in
   similarity between the units before and after a point becoming chapter breaks, in source
   order; more chapters for longer input (one per ~800 words, 24 at most);
3. **headings**: each chapter's distinctive phrases (words and runs of words frequent in it and
   rare in the other chapters, so fillers and the show's own subject weigh nothing), chosen by
   maximal marginal relevance over their embeddings so the heading names different things;
4. **sentences**: one per ~400 words of the chapter, each the unit that adds the most
   distinctive words not yet said (by the heading or the units already chosen), numbers and
   names counting extra, each with its citation;
5. a **key terms** line for the whole item: the leading phrases of the chapters that stand out.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable

import numpy as np

from index.embed import chunk_items
from index.reading import chunk_starts

from .recursive import Note, Reading
from .terms import content_words
from .units import MAX_WORDS, MIN_WORDS, units

__all__ = ["LONG_ITEM_CHARS", "chapters", "summarize_item"]

LONG_ITEM_CHARS = 8000  # shorter items read fine as a plain summary
# Set on the dev halves of demo/eval/checklist.jsonl and podcast-checklist.jsonl.
WORDS_PER_CHAPTER = 800
MAX_CHAPTERS = 24
WORDS_PER_SENTENCE = 400  # a chapter quotes one unit per this many of its words...
PER_CHAPTER = (1, 4)  # ...and at least and at most these many
HEADING_PHRASES = 3
KEY_TERMS = 8
BLOCK = 12  # units compared on each side of a possible chapter break
PLACE_WORDS = 32  # a unit's first words place it among chapters well enough; embedding is most of the time

_TOKEN = re.compile(r"[^\W_]+(?:[-'.][^\W_]+)*")
_JOINERS = frozenset({"of", "per"})
_NUMBER = re.compile(r"\d")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z]+")


def summarize_item(lib, item_id: int, on_sentence: Callable[[str, list[Note]], None] | None = None) -> Reading:
    """The chapter summary of one item: headings, cited sentences, a key-terms line."""
    text = lib.get(item_id).text
    spans = units(text)
    out: list[tuple[str, list[Note]]] = []

    def emit(line: str, notes: list[Note]) -> None:
        out.append((line, notes))
        if on_sentence:
            on_sentence(line, notes)

    if not spans:
        return Reading([])
    vectors = lib.embedder.embed([" ".join(text[a:b].split()[:PLACE_WORDS]) for a, b in spans])
    parts = chapters(vectors, _word_count(text))
    words = [_terms(text[a:b]) for a, b in spans]
    phrases = [_phrases(text[a:b]) for a, b in spans]
    weights = _distinctive(words, parts)
    scored = [_heading(lib, phrases, part, weight) for part, weight in zip(parts, weights)]
    headings = [h for h, _ in scored]
    emit("Key terms: " + ", ".join(_key_terms(scored)), [])
    chunk_items(lib.db, lib.embedder)  # chunk boundaries for the citations; no vectors are needed
    starts = chunk_starts(lib.db, item_id)
    for part, weight, heading in zip(parts, weights, headings):
        emit("## " + " · ".join(heading), [])
        for u in _sentences(spans, words, vectors, part, weight, text, heading):
            a, b = spans[u]
            chunk = max(bisect.bisect_right(starts, a) - 1, 0)
            emit(" ".join(text[a:b].split()), [Note(item_id, chunk, a, b, 0.0, text[a:b])])
    return Reading(out)


def _key_terms(headings: list[tuple[list[str], float]]) -> list[str]:
    """The whole item's key terms: the leading phrases of the chapters that stand out most, in
    source order (the first chapters' phrases are no better than the last ones')."""
    leads = [(h[0], score) for h, score in headings if h]
    keep = sorted(range(len(leads)), key=lambda i: leads[i][1], reverse=True)[:KEY_TERMS]
    return list(dict.fromkeys(leads[i][0] for i in sorted(keep)))


def _word_count(text: str) -> int:
    return len(text.split())


def chapters(vectors: np.ndarray, words: int) -> list[range]:
    """Unit ranges of the chapters, in source order: breaks at any unit boundary where what is
    said in the ``BLOCK`` units before it and in those after it are least alike in meaning, the
    deepest such drops first (TextTiling on embeddings), no chapter shorter than a block."""
    wanted = max(1, min(MAX_CHAPTERS, round(words / WORDS_PER_CHAPTER)))
    if wanted == 1 or len(vectors) < 4 * BLOCK:
        return [range(len(vectors))]
    gaps = _cohesion(vectors.astype(np.float64), BLOCK)
    depth = np.array([gaps[max(0, i - BLOCK): i + 1].max() + gaps[i: i + BLOCK + 1].max() - 2 * g
                      for i, g in enumerate(gaps)])
    chosen: list[int] = []
    for i in np.argsort(-depth, kind="stable"):
        if len(chosen) == wanted - 1:
            break
        cut = int(i) + 1
        if min(cut, len(vectors) - cut) >= BLOCK and all(abs(cut - c) >= 2 * BLOCK for c in chosen):
            chosen.append(cut)
    edges = [0, *sorted(chosen), len(vectors)]
    return [range(a, b) for a, b in itertools.pairwise(edges)]


def _cohesion(matrix: np.ndarray, window: int) -> np.ndarray:
    """For each boundary between units i and i+1, the cosine of the sums of the ``window`` rows
    before it and after it."""
    n = len(matrix)
    total = np.vstack([np.zeros((1, matrix.shape[1])), np.cumsum(matrix, axis=0)])
    at = np.arange(1, n)
    left = total[at] - total[np.maximum(0, at - window)]
    right = total[np.minimum(n, at + window)] - total[at]
    norms = np.linalg.norm(left, axis=1) * np.linalg.norm(right, axis=1) + 1e-9
    return (left * right).sum(axis=1) / norms


def _terms(text: str) -> list[str]:
    """Content words of a unit, possessives folded ("moravec's" is "moravec") and spoken
    contractions ("we're", "don't") dropped: they carry no topic."""
    return [term for term in map(_fold, _TOKEN.findall(text.lower())) if term]


@functools.lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    word = word.removesuffix("'s")
    return word if "'" not in word and content_words(word) == [word] else ""


def _phrases(text: str) -> list[str]:
    """Candidate heading phrases of a unit: runs of one to three adjacent content words, possibly
    joined by "of" or "per" ("tokens per parameter", "making of the atomic bomb" gives "atomic bomb")."""
    out: list[str] = []
    run: list[str] = []
    for token in [*_TOKEN.findall(text.lower()), "."]:
        if term := _fold(token):
            run.append(term)
            continue
        if token in _JOINERS and run:
            run.append(token)
            continue
        while run and run[-1] in _JOINERS:
            run.pop()
        for n in (1, 2, 3):
            out.extend(" ".join(run[i: i + n]) for i in range(len(run) - n + 1)
                       if run[i] not in _JOINERS and run[i + n - 1] not in _JOINERS)
        run = []
    return out


def _distinctive(words: list[list[str]], parts: list[range]) -> list[dict[str, float]]:
    """Per chapter, each word's weight: frequent in the chapter and rare in the others (TF-IDF
    with chapters as documents); a word every chapter uses (a filler, the show's subject) weighs
    nothing, one that only this chapter repeats weighs most."""
    counts = [Counter(w for u in part for w in words[u]) for part in parts]
    spread = Counter(w for c in counts for w in c)
    n = len(parts)
    if n == 1:
        return [{w: 1 + math.log(k) for w, k in counts[0].items() if k >= 2}]
    return [{w: (1 + math.log(k)) * math.log(n / spread[w]) for w, k in c.items() if k >= 2 and spread[w] < n}
            for c in counts]


def _heading(lib, phrases: list[list[str]], part: range, weight: dict[str, float]) -> tuple[list[str], float]:
    """The chapter's distinctive phrases, chosen by maximal marginal relevance over their
    embeddings so the heading names different things instead of one thing three times."""
    counts = Counter(p for u in part for p in phrases[u])
    scored = {}
    for phrase, k in counts.items():
        terms = [w for w in phrase.split() if w not in _JOINERS]
        if all(weight.get(w) for w in terms) and not all(w.isdigit() for w in terms) and (len(terms) == 1 or k >= 2):
            scored[phrase] = sum(weight[w] for w in terms) / len(terms) * (1 + 0.5 * (len(terms) - 1))
    candidates = sorted(scored, key=scored.__getitem__, reverse=True)[:12]
    if len(candidates) <= HEADING_PHRASES:
        return candidates, scored.get(candidates[0], 0.0) if candidates else 0.0
    vectors = lib.embedder.embed(candidates)
    relevance = np.array([scored[c] for c in candidates])
    relevance = relevance / relevance.max()
    chosen: list[int] = []
    while len(chosen) < HEADING_PHRASES:
        overlap = (vectors @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(len(candidates))
        value = 0.6 * relevance - 0.4 * overlap
        value[chosen] = -np.inf
        for i, c in enumerate(candidates):  # a phrase inside a chosen one, or holding one, adds nothing
            if any(set(c.split()) <= set(candidates[j].split()) or set(candidates[j].split()) <= set(c.split())
                   for j in chosen):
                value[i] = -np.inf
        if not np.isfinite(value).any():
            break
        chosen.append(int(np.argmax(value)))
    return [candidates[i] for i in chosen], scored[candidates[0]]


def _sentences(spans, words, vectors: np.ndarray, part: range, weight: dict[str, float], text: str,
               heading: list[str]) -> list[int]:
    """The chapter's units that carry the most of its distinctive words not yet said (by the
    heading or an already chosen unit), with numbers and names counting extra, in source order."""
    usable = [u for u in part if MIN_WORDS <= len(text[spans[u][0]:spans[u][1]].split()) <= MAX_WORDS]
    if not usable:
        return []
    centre = vectors[list(part)].mean(axis=0)
    centre /= np.linalg.norm(centre) + 1e-9
    top = max(weight.values(), default=1.0) or 1.0
    said = {w for phrase in heading for w in phrase.split()}
    chosen: list[int] = []
    length = sum(len(text[spans[u][0]:spans[u][1]].split()) for u in part)
    wanted = min(max(PER_CHAPTER[0], round(length / WORDS_PER_SENTENCE)), PER_CHAPTER[1], len(usable))
    while len(chosen) < wanted:
        best, value = None, -np.inf
        for u in usable:
            if u in chosen:
                continue
            unit = text[spans[u][0]:spans[u][1]]
            new = set(words[u]) - said
            content = sum(weight.get(w, 0.0) for w in new) / top / math.sqrt(max(len(words[u]), 4))
            specifics = 0.15 * bool(_NUMBER.search(unit)) + 0.1 * min(len(_NAME.findall(unit)), 3)
            score = content + specifics + 0.3 * float(vectors[u] @ centre)
            if score > value:
                best, value = u, score
        chosen.append(best)
        said |= set(words[best])
    return sorted(chosen)
