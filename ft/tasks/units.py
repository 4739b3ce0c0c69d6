"""Sentence-like units of any text: whole sentences, or pieces of unpunctuated captions.

A summary or an answer quotes units, so a unit must read as a whole: punctuated text is cut at its
sentence ends (never at "1.5" or "3 a.m" inside one), and auto-captions, which have no full stops,
at speaker turns (``>>``) and then, inside a long turn, at the pauses a speaker makes between
thoughts: the words that open a new one ("so", "and then", "you know", …). A long turn is cut at
the opener that leaves both pieces nearest a readable length, not at every opener, so pieces are
neither fragments nor walls of text.
"""

from __future__ import annotations

import re

__all__ = ["MAX_WORDS", "MIN_WORDS", "units"]

MIN_WORDS, MAX_WORDS = 7, 60  # shorter units say little; longer pseudo-sentences read badly

# A sentence runs to a terminator followed by a space or the end; a terminator followed by
# anything else ("1.5", "a.m.", "e.g.,") is part of it. Caption paragraphs break anywhere, so a
# single line break is no end; a blank line or a lone line (a heading, a list entry) is.
_SENTENCE = re.compile(r"(?:[^.!?…\n]|[.!?…]+(?![\s\"')\]]|$)|\n(?!\s*\n))+(?:[.!?…]+[\"')\]]*(?=\s|$)|$|(?=\n\s*\n))")
_TURN = re.compile(r"\s*>>\s*")
_OPENERS = re.compile(r"\s(?=(?:so|and so|but|now|okay|ok|right|well|because|and then|the thing is|i think|"
                      r"you know|i mean|actually|anyway|yeah|um|uh)\s)", re.IGNORECASE)


def units(text: str) -> list[tuple[int, int]]:
    """Spans of whole sentences in source order; long unpunctuated runs cut at turns and openers."""
    spans: list[tuple[int, int]] = []
    for a, b in _pieces(text, _TURN, 0, len(text)):
        for m in _SENTENCE.finditer(text, a, b):
            spans.extend(_balanced(text, m.start(), m.end()))
    return [(a, b) for a, b in (_trim(text, a, b) for a, b in spans) if b > a]


def _pieces(text: str, pattern: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    cuts = [m.start() for m in pattern.finditer(text, start, end)] + [end]
    out, a = [], start
    for cut in cuts:
        if cut > a:
            out.append((a, cut))
        a = cut
    return out


def _balanced(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """A run of at most MAX_WORDS as it is; a longer one cut at the opener that leaves pieces of
    readable length, repeatedly (a run without openers stays whole: no sentence is cut blind)."""
    words = len(text[a:b].split())
    if words <= MAX_WORDS:
        return [(a, b)]
    cuts = [m.start() for m in _OPENERS.finditer(text, a, b)]
    target = words / max(2, round(words / ((MIN_WORDS + MAX_WORDS) / 2)))
    fair = [c for c in cuts if len(text[a:c].split()) >= MIN_WORDS and len(text[c:b].split()) >= MIN_WORDS]
    if not fair:
        return [(a, b)]
    cut = min(fair, key=lambda c: abs(len(text[a:c].split()) - target))
    return [*_balanced(text, a, cut), *_balanced(text, cut, b)]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and (text[a].isspace() or text[a] == ">"):
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
