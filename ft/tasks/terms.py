"""Words that carry content, and BM25 over small in-memory collections (sentences, chapters).

The library's FTS5 index ranks whole items; reading needs the same keyword evidence at the level
of a sentence or a chapter, among a few hundred candidates, so it is computed here in memory.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cache

__all__ = ["bm25", "content_words"]

_WORD = re.compile(r"[^\W_]+(?:[-'.][^\W_]+)*")
# Words that say what kind of question is asked, never what it is about.
_ASKING = frozenset("does did do what which who whom whose when where why how many much according said say says "
                    "tell mentioned mention called named use used uses using".split())


@cache
def _stop_words() -> frozenset[str]:
    """scikit-learn's English stop words, imported on first use: importing scikit-learn (and SciPy with
    it) takes seconds, and every ``ft`` command imports this module."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS


def content_words(text: str) -> list[str]:
    """Lower-cased words minus stop words and question words; numbers are kept (they answer)."""
    stop = _stop_words()
    return [w for w in (m.group(0).lower() for m in _WORD.finditer(text))
            if w not in stop and w not in _ASKING and (len(w) > 1 or w.isdigit())]


def bm25(query: list[str], documents: list[list[str]], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """Okapi BM25 of each tokenized document for the query words, idf from these documents."""
    if not documents:
        return []
    n = len(documents)
    average = sum(len(d) for d in documents) / n or 1.0
    frequency = Counter(w for d in documents for w in set(d))
    idf = {w: math.log(1 + (n - frequency[w] + 0.5) / (frequency[w] + 0.5)) for w in set(query)}
    scores = []
    for document in documents:
        counts = Counter(document)
        norm = k1 * (1 - b + b * len(document) / average)
        scores.append(sum(idf[w] * counts[w] * (k1 + 1) / (counts[w] + norm) for w in set(query) if counts[w]))
    return scores
