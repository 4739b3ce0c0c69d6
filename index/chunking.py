"""Cutting an item's text into chunks for embedding and citation.

Chunks are measured in the embedder's tokens and never cut a paragraph
(or, for a paragraph too long to fit, a sentence; for a sentence too long,
a run of words) unless they must. Consecutive chunks overlap by a few
units so a passage split across them is still found whole in one. Every
chunk is a character span ``[start, end)`` of the item's text, which is what
citations point at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Chunk", "chunk_text"]

CountTokens = Callable[[Sequence[str]], list[int]]

_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=[ \t]*\n\s*\n|\s*\Z)", re.DOTALL)
_SENTENCE = re.compile(r"\S.*?(?:[.!?…](?=\s)|\n|\Z)", re.DOTALL)
_WORDS = re.compile(r"\S+")


@dataclass(frozen=True)
class Chunk:
    seq: int
    start: int
    end: int


def _spans(pattern: re.Pattern[str], text: str, offset: int = 0) -> list[tuple[int, int]]:
    return [(m.start() + offset, m.end() + offset) for m in pattern.finditer(text)]


def _units(text: str, count: CountTokens, max_tokens: int) -> list[tuple[int, int, int]]:
    """(start, end, tokens) of paragraphs, splitting any that exceed ``max_tokens``."""
    units: list[tuple[int, int, int]] = []
    paragraphs = _spans(_PARAGRAPH, text)
    sizes = count([text[s:e] for s, e in paragraphs]) if paragraphs else []
    for (start, end), size in zip(paragraphs, sizes):
        if size <= max_tokens:
            units.append((start, end, size))
            continue
        sentences = _spans(_SENTENCE, text[start:end], start)
        for (s_start, s_end), s_size in zip(sentences, count([text[s:e] for s, e in sentences])):
            if s_size <= max_tokens:
                units.append((s_start, s_end, s_size))
            else:
                units.extend(_word_runs(text, s_start, s_end, count, max_tokens))
    return units


def _word_runs(text: str, start: int, end: int, count: CountTokens, max_tokens: int) -> list[tuple[int, int, int]]:
    """A sentence with no usable punctuation (auto-captions): runs of words that fit."""
    words = _spans(_WORDS, text[start:end], start)
    sizes = count([text[s:e] for s, e in words])
    runs: list[tuple[int, int, int]] = []
    run_start, run_size = words[0][0], 0
    previous_end = words[0][1]
    for (w_start, w_end), size in zip(words, sizes):
        if run_size and run_size + size > max_tokens:
            runs.append((run_start, previous_end, run_size))
            run_start, run_size = w_start, 0
        run_size += size
        previous_end = w_end
    runs.append((run_start, previous_end, run_size))
    return runs


def chunk_text(text: str, count: CountTokens, max_tokens: int = 200, overlap_tokens: int = 40) -> list[Chunk]:
    """Spans of ``text`` of at most ``max_tokens`` tokens each, overlapping by up to ``overlap_tokens``."""
    units = _units(text, count, max_tokens)
    chunks: list[Chunk] = []
    current: list[tuple[int, int, int]] = []
    size = 0
    for unit in units:
        if current and size + unit[2] > max_tokens:
            chunks.append(Chunk(len(chunks), current[0][0], current[-1][1]))
            # Carry the last units, up to the overlap budget, into the next chunk.
            carried: list[tuple[int, int, int]] = []
            budget = overlap_tokens
            for previous in reversed(current):
                if previous[2] > budget or previous[2] + unit[2] + sum(c[2] for c in carried) > max_tokens:
                    break
                carried.insert(0, previous)
                budget -= previous[2]
            current, size = carried, sum(c[2] for c in carried)
        current.append(unit)
        size += unit[2]
    if current:
        chunks.append(Chunk(len(chunks), current[0][0], current[-1][1]))
    return chunks
