"""Summaries of long items as chapters: what each part of a long talk is about, in its own words.

The central sentences of a four-hour conversation are its most generic ones ("So it let the
models learn."), so a long item is read the other way round:

1. **units**: whole sentences; captions without punctuation are cut at speaker turns (``>>``)
   and at the words that open a new thought, never inside a sentence that has an end;
2. **chapters**: a TextTiling-style segmentation of the units' embeddings, the deepest drops in
   similarity between neighbouring windows becoming chapter breaks, in source order;
3. **headings**: each chapter's distinctive phrases (frequent in it, rare in the other
   chapters), chosen by maximal marginal relevance so the heading does not repeat itself;
4. **sentences**: those that carry the chapter's distinctive terms, names and numbers, near its
   meaning, each with its citation;
5. a **key terms** line for the whole item.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Callable

import numpy as np

from index.embed import chunk_items
from index.reading import chunk_starts

from .recursive import Note, Reading
from .terms import content_words

__all__ = ["LONG_ITEM_CHARS", "chapters", "summarize_item", "units"]

LONG_ITEM_CHARS = 8000  # shorter items read fine as a plain summary
# Set on the dev half of demo/eval/checklist.jsonl.
WORDS_PER_CHAPTER = 800
MAX_CHAPTERS = 24
PER_CHAPTER = 2
HEADING_PHRASES = 3
KEY_TERMS = 8
MIN_WORDS, MAX_WORDS = 7, 60  # shorter units say little; longer pseudo-sentences read badly
BLOCK = 8  # units per block in the segmentation

_SENTENCE = re.compile(r"[^.!?…\n]+(?:[.!?…]+[\"')\]]*(?=\s|$)|\n|$)")
_TURN = re.compile(r"\s*>>\s*")
# Where an unpunctuated caption opens a new thought (cut before these words).
_OPENERS = re.compile(r"\s(?=(?:so|and so|but|now|okay|ok|right|well|because|and then|the thing is|i think|you know)\s)",
                      re.IGNORECASE)
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
    vectors = lib.embedder.embed([" ".join(text[a:b].split()[:MAX_WORDS]) for a, b in spans])  # enough to place a unit
    parts = chapters(vectors, _word_count(text))
    words = [content_words(text[a:b]) for a, b in spans]
    weights = _distinctive(words, parts)
    headings = [_heading(lib, words, part, weight) for part, weight in zip(parts, weights)]
    emit("Key terms: " + ", ".join(list(dict.fromkeys(h[0] for h in headings if h))[:KEY_TERMS]), [])
    chunk_items(lib.db, lib.embedder)  # chunk boundaries for the citations; no vectors are needed
    starts = chunk_starts(lib.db, item_id)
    for part, weight, heading in zip(parts, weights, headings):
        emit("## " + " · ".join(heading), [])
        for u in _sentences(spans, words, vectors, part, weight, text):
            a, b = spans[u]
            chunk = max(bisect.bisect_right(starts, a) - 1, 0)
            emit(" ".join(text[a:b].split()), [Note(item_id, chunk, a, b, 0.0, text[a:b])])
    return Reading(out)


def units(text: str) -> list[tuple[int, int]]:
    """Spans of whole sentences; unpunctuated runs are cut at speaker turns and at thought openers."""
    spans = []
    for turn in _split(text, _TURN, 0):
        for a, b in _split_sentences(text, *turn):
            if len(text[a:b].split()) > MAX_WORDS:
                spans.extend(s for s in _split(text, _OPENERS, a, b))
            else:
                spans.append((a, b))
    return [(a, b) for a, b in (_trim(text, a, b) for a, b in spans) if b > a]


def _split(text: str, pattern: re.Pattern[str], start: int, end: int | None = None) -> list[tuple[int, int]]:
    end = len(text) if end is None else end
    cuts = [m.start() for m in pattern.finditer(text, start, end)] + [end]
    out, a = [], start
    for cut in cuts:
        if cut > a:
            out.append((a, cut))
        a = cut
    return out


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in _SENTENCE.finditer(text[start:end])]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and (text[a].isspace() or text[a] == ">"):
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _word_count(text: str) -> int:
    return len(text.split())


def chapters(vectors: np.ndarray, words: int) -> list[range]:
    """Unit ranges of the chapters: breaks at the deepest similarity drops between blocks."""
    wanted = max(1, min(MAX_CHAPTERS, round(words / WORDS_PER_CHAPTER)))
    blocks = [vectors[i: i + BLOCK].mean(axis=0) for i in range(0, len(vectors), BLOCK)]
    if wanted == 1 or len(blocks) < 4:
        return [range(0, len(vectors))]
    blocks = np.array(blocks)
    blocks /= np.linalg.norm(blocks, axis=1, keepdims=True) + 1e-9
    gaps = []
    for g in range(1, len(blocks)):
        left = blocks[max(0, g - 2): g].mean(axis=0)
        right = blocks[g: g + 2].mean(axis=0)
        gaps.append(float(left @ right))
    depth = [max(gaps[max(0, i - 3): i + 1]) + max(gaps[i: i + 4]) - 2 * s for i, s in enumerate(gaps)]
    chosen: list[int] = []
    for i in np.argsort(depth)[::-1]:
        if len(chosen) == wanted - 1:
            break
        if all(abs(int(i) - c) >= 2 for c in chosen):
            chosen.append(int(i))
    breaks = sorted((c + 1) * BLOCK for c in chosen)
    edges = [0, *breaks, len(vectors)]
    return [range(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def _distinctive(words: list[list[str]], parts: list[range]) -> list[dict[str, float]]:
    """Per chapter, each word's weight: frequent in the chapter and rare in the others (c-TF-IDF)."""
    counts = [Counter(w for u in part for w in words[u]) for part in parts]
    spread = Counter(w for c in counts for w in c)
    n = len(parts)
    weights = []
    for c in counts:
        total = sum(c.values()) or 1
        weights.append({w: (k / total) * math.log(1 + n / spread[w]) * min(k, 4) for w, k in c.items() if k >= 2 or n == 1})
    return weights


def _heading(lib, words: list[list[str]], part: range, weight: dict[str, float]) -> list[str]:
    """The chapter's distinctive phrases (words and two-word phrases), different from each other."""
    phrases: Counter[str] = Counter()
    for u in part:
        seq = words[u]
        phrases.update(w for w in seq if weight.get(w) and not w.isdigit())
        phrases.update(f"{a} {b}" for a, b in zip(seq, seq[1:]) if a != b and weight.get(a) and weight.get(b))
    scored = {p: sum(weight[w] for w in p.split()) / len(p.split()) * (1.6 if " " in p and k >= 2 else 1.0)
              for p, k in phrases.items() if " " not in p or k >= 2}
    candidates = sorted(scored, key=scored.__getitem__, reverse=True)[:12]
    if len(candidates) <= HEADING_PHRASES:
        return candidates
    vectors = lib.embedder.embed(candidates)
    relevance = np.array([scored[c] for c in candidates])
    relevance = relevance / relevance.max()
    chosen: list[int] = []
    while len(chosen) < HEADING_PHRASES:
        overlap = (vectors @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(len(candidates))
        value = 0.6 * relevance - 0.4 * overlap
        value[chosen] = -np.inf
        chosen.append(int(np.argmax(value)))
    return [candidates[i] for i in chosen]


def _sentences(spans, words, vectors: np.ndarray, part: range, weight: dict[str, float], text: str) -> list[int]:
    """The chapter's units that carry its distinctive content, not too alike, in source order."""
    usable = [u for u in part if MIN_WORDS <= len(text[spans[u][0]:spans[u][1]].split()) <= MAX_WORDS]
    if not usable:
        return []
    centre = vectors[list(part)].mean(axis=0)
    centre /= np.linalg.norm(centre) + 1e-9
    top = max(weight.values(), default=1.0) or 1.0
    scores = []
    for u in usable:
        unit = text[spans[u][0]:spans[u][1]]
        terms = set(words[u])
        content = sum(weight.get(w, 0.0) for w in terms) / top / math.sqrt(max(len(words[u]), 4))
        specifics = 0.15 * bool(_NUMBER.search(unit)) + 0.1 * min(len(_NAME.findall(unit)), 3)
        scores.append(content + specifics + 0.5 * float(vectors[u] @ centre))
    scores = np.array(scores)
    chosen: list[int] = []
    while len(chosen) < min(PER_CHAPTER, len(usable)):
        overlap = (vectors[[usable[c] for c in chosen]] @ vectors[usable].T).max(axis=0) if chosen else np.zeros(len(usable))
        value = scores - 0.5 * overlap
        value[chosen] = -np.inf
        chosen.append(int(np.argmax(value)))
    return sorted(usable[c] for c in chosen)
