"""``ft ask``: find the sentence that answers, not three sentences near the topic.

The sentence naming the answer is usually in a retrieved chunk but is rarely the one most like
the question as a whole, so candidates are scored one sentence at a time, by keywords and by
meaning together:

1. **vectors** are built on demand (a new user asks right after ``ft add``);
2. **candidates**: the chunks nearest the question by meaning, plus the chunks of the items the
   keyword index ranks first that share the question's words — more than the 16 nearest chunks;
3. **units**: the whole sentences of those chunks' items that overlap them (a chunk's edge cuts
   none); captions without punctuation are cut at speaker turns and where a thought opens;
4. **score** each unit with a window of its neighbours: BM25 over the candidate units, each with
   its item's title words (the words that chose the item cannot also choose one of its
   sentences), and cosine similarity to the question, each normalised, fused;
5. **answer** with the best passages, each cited: the best unit and the units after it up to
   ``PASSAGE_WORDS`` (a heading or an interviewer's question matches the question's words, the
   fact comes after it); a runner-up unit that falls inside or overlaps a passage grows that
   passage instead of starting another (in a conversation the question's words and the fact are
   often a few turns apart); a passage without what the question asks for (a figure for "how
   many", a law for "which law") reads on to the first unit after it that holds it; a passage
   that runs to the end of a post split from a dump reads on into the file's next post (the
   split was a guess); when neither the nearest chunk nor any one unit is close to the
   question, or no unit shares its meaning, "not found in your library".
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index import Filters
from index.fts import search as keyword_search
from index.hybrid import allowed_ids
from index.reading import chunk_starts, chunk_texts_of_items, chunks_by_id
from index.store import next_in_file

from .recursive import Note, Reader, Reading, sentences
from .terms import bm25, content_words
from .units import units

__all__ = ["NOT_FOUND", "answer"]

NOT_FOUND = "not found in your library"
# Set on the dev half of demo/eval/questions.jsonl (never its test half).
NEAREST_CHUNKS = 48    # chunks taken by meaning
KEYWORD_ITEMS = 8      # items taken by keywords, each adding its chunks that share question words
ANSWERABLE = 0.33      # the nearest chunk of an answerable question scores above this (cosine)
CLOSE_UNIT = 0.5       # … or one of its units does (a long chunk of one-liners dilutes the line that answers)
SUPPORTING = 0.25      # the answering sentence (with its window) is at least this close
LEXICAL_WEIGHT = 0.5   # share of the fused score from BM25, the rest from meaning
NEIGHBOUR_WEIGHT = 0.3  # share of a sentence's scores that comes from the sentences beside it
RUNNER_UP = 0.65       # a unit scoring this share of the best starts a second passage or grows one
UNIT_WORDS = 60        # a longer unit is cut into sentences
PASSAGE_WORDS = 40     # a passage grows from its best unit to the units after it up to this many words
MERGED_WORDS = 100     # … and to at most this many by taking in runner-up units that overlap it
ASKED_WORDS = 150      # … or to this many, to reach the figure or the kind of thing a question asks for
_LINE = re.compile(r"\S(?:[^\n]*\S)?")  # a line's text from its first to its last non-space
# A question asking for an amount, a size, a date or a score: its answer holds a figure.
_ASKS_FIGURE = re.compile(r"\bhow (much|many|big|far|long|often|fast|old|large|small|high|heavy)\b|"
                          r"\bwhat (year|percentage|share|rating|score|valuation|voltage)\b|\bin which year\b",
                          re.IGNORECASE)
_FIGURE = re.compile(r"\d")
_WHICH = re.compile(r"\b(?:which|what)\s+([a-z][a-z-]{2,})\b", re.IGNORECASE)  # "which law …", "what license …"


@dataclass
class Candidate:
    """One sentence of a candidate chunk, where it is, and its scores."""

    item_id: int
    chunk: int
    start: int
    end: int
    text: str
    title: list[str]  # the item title's content words
    source: str  # the item's text, and its units, for growing the sentence into a passage
    units: list[tuple[int, int]]
    index: int
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
    if not hits:
        return Reading([(NOT_FOUND, [])])
    words = content_words(question)
    chunk_ids = [h.chunk_id for h in hits] + _keyword_chunks(lib, question, words, filters)
    candidates = _units(lib, list(dict.fromkeys(chunk_ids)))
    closest = _score(lib, candidates, words, vector)
    if hits[0].score < ANSWERABLE and closest < CLOSE_UNIT:
        return Reading([(NOT_FOUND, [])], chunks=len(chunk_ids))
    asked = _asked_for(question)
    best = _passages(candidates, passages, asked)
    if not best or best[0].lead.meaning < SUPPORTING:
        return Reading([(NOT_FOUND, [])], chunks=len(chunk_ids))
    reader = Reader(lib, rewrite_engine=rewrite_engine)
    notes = [note for p in best for note in (p.note(), _continuation(lib, p, best, asked)) if note is not None]
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


def _units(lib, chunk_ids: list[int]) -> list[Candidate]:
    """The units of the chunks' items that overlap the chunks, in source order, each whole.

    Units come from the whole item, not the chunk, so none is cut at a chunk's edge; captions
    without punctuation are cut at speaker turns and thought openers (``ft.tasks.units``), and a
    unit still longer than a sentence is cut as ``sentences`` cuts it."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for item_id, _, start, end, _ in chunks_by_id(lib.db, chunk_ids):
        spans.setdefault(item_id, []).append((start, end))
    out = []
    for item_id, chunks in spans.items():
        item = lib.get(item_id)
        starts = chunk_starts(lib.db, item_id)
        title = content_words(item.title or "")
        pieces = _pieces(item.text)
        for index, (a, b) in enumerate(pieces):
            if any(a < end and start < b for start, end in chunks):
                chunk = max(bisect.bisect_right(starts, a) - 1, 0)
                out.append(Candidate(item_id, chunk, a, b, " ".join(item.text[a:b].split()), title, item.text, pieces, index))
    return out


def _pieces(text: str) -> list[tuple[int, int]]:
    """Sentence-like units of ``text`` (``ft.tasks.units``), each line its own: an answer is looked
    for line by line (a post's line, a caption line) and grown into a passage after, so a fact on
    its own line is not outweighed by the lines a summary would join it with. Those longer than
    ``UNIT_WORDS`` are cut into sentences."""
    out = []
    for a, b in units(text):
        for start, end in _lines(text, a, b):
            out.extend(sentences(text[start:end], start) if len(text[start:end].split()) > UNIT_WORDS else [(start, end)])
    return out


def _lines(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """The non-blank lines of ``text[a:b]`` as spans, without their outer spaces."""
    return [m.span() for m in _LINE.finditer(text, a, b)]


def _score(lib, candidates: list[Candidate], words: list[str], vector: np.ndarray) -> float:
    """Fuse keyword and meaning scores per sentence, each blended with its neighbours' (a window);
    returns the closest any one unit comes to the question by meaning."""
    if not candidates:
        return 0.0
    lexical = _window(np.array(bm25(words, [content_words(c.text) + c.title for c in candidates])), candidates)
    similarity = lib.embedder.embed([c.text for c in candidates]) @ vector
    meaning = _window(similarity, candidates)
    fused = LEXICAL_WEIGHT * lexical / max(float(lexical.max()), 1e-9) + (1 - LEXICAL_WEIGHT) * meaning / max(float(meaning.max()), 1e-9)
    for c, m, f in zip(candidates, meaning, fused):
        c.meaning, c.score = float(m), float(f)
    return float(similarity.max())


def _window(scores: np.ndarray, candidates: list[Candidate]) -> np.ndarray:
    """Each sentence's score blended with the mean of its neighbours' in the same item."""
    out = scores.astype(float).copy()
    for i, c in enumerate(candidates):
        beside = [scores[j] for j in (i - 1, i + 1) if 0 <= j < len(candidates) and candidates[j].item_id == c.item_id]
        if beside:
            out[i] = (1 - NEIGHBOUR_WEIGHT) * scores[i] + NEIGHBOUR_WEIGHT * float(np.mean(beside))
    return out


@dataclass
class Passage:
    """Units ``first``..``last`` of one item, grown from the unit that chose it."""

    lead: Candidate
    first: int
    last: int

    def note(self) -> Note:
        """The passage as a cited note."""
        c = self.lead
        start, end = c.units[self.first][0], c.units[self.last][1]
        return Note(c.item_id, c.chunk, start, end, c.score, " ".join(c.source[start:end].split()))


def _asked_for(question: str) -> re.Pattern | None:
    """What the answer must hold: a figure ("how many …"), the kind of thing the question names
    ("which law …": the word law), or nothing it can tell."""
    if _ASKS_FIGURE.search(question):
        return _FIGURE
    kind = _WHICH.search(question)
    if kind and content_words(kind.group(1)):
        return re.compile(rf"\b{re.escape(kind.group(1))}", re.IGNORECASE)
    return None


def _passages(candidates: list[Candidate], passages: int, asked: re.Pattern | None = None) -> list[Passage]:
    """The best units as passages, best first: each a unit and the units after it up to
    ``PASSAGE_WORDS``; a runner-up (scoring at least ``RUNNER_UP`` of the best) already inside a
    passage adds nothing, one whose passage overlaps it grows it up to ``MERGED_WORDS``, and
    another starts a new passage while there are fewer than ``passages``; with ``asked`` (what
    the answer must hold), each then reads on to it (``_to_asked``)."""
    chosen: list[Passage] = []
    ranked = sorted(candidates, key=lambda c: -c.score)
    for c in ranked:
        if c.score < RUNNER_UP * ranked[0].score:
            break
        first, last = c.index, _grown(c)
        mine = [p for p in chosen if p.lead.item_id == c.item_id and first <= p.last and p.first <= last]
        if mine:
            p = mine[0]
            if _words(c, min(first, p.first), max(last, p.last)) <= MERGED_WORDS:
                p.first, p.last = min(first, p.first), max(last, p.last)
        elif len(chosen) < passages:
            chosen.append(Passage(c, first, last))
    if asked is not None:
        for p in chosen:
            p.last = _to_asked(p, asked)
    return chosen


def _to_asked(p: Passage, asked: re.Pattern) -> int:
    """The passage's last unit, moved on to the first unit after it that holds what the question
    asks for when the passage does not (a question asking "how much" is answered by a number,
    "which law" by a law's name; in a conversation often a turn or two after the words that
    chose the passage), within ``ASKED_WORDS``."""
    c = p.lead
    if asked.search(_text(c, p.first, p.last)):
        return p.last
    for j in range(p.last + 1, len(c.units)):
        if _words(c, p.first, j) > ASKED_WORDS:
            break
        if asked.search(_text(c, j, j)):
            return j
    return p.last


def _grown(c: Candidate, budget: int = PASSAGE_WORDS) -> int:
    """The last unit of the passage grown from ``c``: the units after it up to ``budget`` words
    (the unit that matches the question's words is often a heading, an interviewer's question or
    a lead-in, and the fact comes after it); a long unit stands alone."""
    last, words = c.index, len(c.text.split())
    for j in range(c.index + 1, len(c.units)):
        if words >= budget:
            break
        last, words = j, words + _words(c, j, j)
    return last


def _continuation(lib, p: Passage, chosen: list[Passage], asked: re.Pattern | None = None) -> Note | None:
    """The opening of the next post of the same file, when ``p`` runs to the end of a post split
    from a dump with fewer than ``PASSAGE_WORDS`` words and does not already hold what the question
    asks for (``asked``): where a split was guessed ("We rewrote our eval harness in Rust." |
    "Before: 41 minutes. After: 3 minutes.") the fact may sit just past it; where the post holds
    it, the next post is only noise."""
    c = p.lead
    words = _words(c, p.first, p.last)
    if p.last != len(c.units) - 1 or words >= PASSAGE_WORDS:
        return None
    if asked is not None and asked.search(_text(c, p.first, p.last)):
        return None
    following = next_in_file(lib.db, c.item_id)
    if following is None or any(q.lead.item_id == following for q in chosen):
        return None
    text = lib.get(following).text
    pieces = _pieces(text)
    if not pieces:
        return None
    a, b = pieces[0]
    opening = Candidate(following, 0, a, b, " ".join(text[a:b].split()), [], text, pieces, 0, c.score)
    return Passage(opening, 0, _grown(opening, PASSAGE_WORDS - words)).note()


def _words(c: Candidate, first: int, last: int) -> int:
    """How many words units ``first``..``last`` of ``c``'s item hold: the length of a passage made of them."""
    return len(_text(c, first, last).split())


def _text(c: Candidate, first: int, last: int) -> str:
    """The source text of units ``first``..``last`` of ``c``'s item."""
    return c.source[c.units[first][0]:c.units[last][1]]
