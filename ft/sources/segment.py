"""Split a text dump of posts (copied bookmarks, a thread reader, a chat) into one span per post.

Dumps carry no separators, so no single signal finds the boundaries: a line that ends in a link
often closes a post, but a "Paper: https://…" line sits inside one; a change of topic often starts
one, but a long essay drifts too. Each gap between two lines is described by its line shapes (what
closes a post, what only continues one, how long the lines are) and by meaning (how similar the
next lines are to the post so far and to the line before, measured against how similar any two
lines of the file are, TextTiling-style). A logistic model weighs these features; the gaps are read
in order, keeping the few likeliest ways to have split the lines so far (a beam search): the
features of a gap depend on where its post started, so a split missed early would otherwise skew
every gap after it. The weights were fit on the dev half of ``demo/eval/segments.jsonl`` only,
by ``demo/eval/fit_segments.py``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

__all__ = ["FEATURES", "LineVectors", "Post", "boundaries", "gap_features", "line_vectors", "split_posts"]

Embed = Callable[[Sequence[str]], np.ndarray]

_URL = re.compile(r"https?://\S+")
# A link, then perhaps an emoji or two. Possessive (``++``, ``*+``), so a long line fails in one pass.
_LINK_TAIL = r"https?://\S++(?:\s+[^\w\s]++)*+\s*$"
_ENDS_LINK = re.compile(_LINK_TAIL)
_ENDS_MENTION = re.compile(r"@\w+[^\w@]*$|^cc\b", re.IGNORECASE)  # a mention or a "cc" line closes a post
_ONLY_URL = re.compile(r"^[\W_]*+(\w[\w .+-]{0,20}:\s*)?" + _LINK_TAIL)  # "Blog: https://…", "→ https://…"
# A bullet, "1." or "1/", a "03:31" timestamp, or a line opened by an emoji or symbol ("📚 Zotero …").
_LIST_ITEM = re.compile(r"^\s*([-*•›→]|\d{1,2}[.)/]\s|\d{1,2}:\d{2}\b)|^[^\w\s\"'“‘(\[@#$]")
_OPENER = re.compile(r"^[A-Z][\w+#&' -]{0,24}:\s+(?!https?://)\S")  # "Q:", "Hot take:", "Reminder:"
_MENTIONS_ONLY = re.compile(r"^(@\w+\W*)+$")
_CREDITS = re.compile(r"^(w/|with @|thanks|huge thanks|cc\b|h/t|via @)", re.IGNORECASE)
_TERMINAL = re.compile(r"[.!?…\"”')\]]\W*$")  # ends a sentence
_SYMBOL_END = re.compile(r"[^\w\s.!?…\"”')\]:,;/]$")  # ends in an emoji or a symbol
# A line ending in one of these words (or in a colon, a comma, a dash) was cut mid-sentence.
_CARRY_WORDS = frozenset("a an the of on in to for with by as and or but at from than is are was be".split())
_CONNECTIVE = re.compile(r"^(and|but|so|or|also|then|which|because|if you|it|this|that|these|those|they|we|"
                         r"here|there|today|soon|crucially|building|however|still|plus|p\.s\.)\b", re.IGNORECASE)

TAIL = 500      # characters at the end of a line that say how it ends
WINDOW = 2      # lines ahead compared by meaning
LONG = 150      # characters: two paragraphs this long in a row read as one essay
SAMPLE = 400    # lines whose pairwise similarity sets a dump's baseline
RECENT = 3      # lines at the end of a post that say where it has got to
BEAM = 4        # ways of splitting the lines so far kept while reading on

FEATURES = (
    # line shapes: the line before the gap …
    "ends in a link", "ends in a mention", "is only a link", "ends a sentence", "is cut mid-sentence",
    "ends in a question mark", "ends in an emoji or symbol", "is a list item",
    # … the line after it …
    "starts lower case", "is a list item", "is only a link", "starts with a connective",
    "opens with a short label", "is only mentions", "is a credits line", "opens a quotation",
    # … and both
    "log length after", "both are long paragraphs", "a sentence carried on in lower case",
    # meaning (without an embedder, the shapes alone decide, with weights of their own)
    "similarity of the two lines", "log lines in the post so far", "next lines vs the post, over the file's median",
    "next line vs the post, over the file's median", "next line vs the post's first line",
    "next line vs the line after it, over vs the line before", "next line vs the post's last lines",
    "line before vs the rest of its post", "next line vs the post's closest line",
)
# Fit by demo/eval/fit_segments.py on the dev half of demo/eval/segments.jsonl (never the test
# half): per-feature mean and scale of the dev gaps, the logistic weights on the standardized
# features and the intercept, and the same fit on the line shapes alone.
MEAN = np.array([0.123, 0.015, 0.109, 0.496, 0.079, 0.013, 0.036, 0.200, 0.198, 0.200, 0.114, 0.105, 0.051,
                 0.007, 0.015, 0.028, 0.826, 0.032, 0.018, 0.192, 1.279, 0.175, 0.127, 0.193, -0.002, 0.111,
                 0.515, 0.250])
SCALE = np.array([0.329, 0.120, 0.312, 0.500, 0.270, 0.115, 0.187, 0.400, 0.399, 0.400, 0.318, 0.307, 0.220,
                  0.083, 0.123, 0.165, 0.145, 0.175, 0.134, 0.144, 0.545, 0.148, 0.149, 0.135, 0.180, 0.144,
                  0.360, 0.148])
WEIGHTS = np.array([0.702, 0.106, -0.426, -0.483, -0.565, 0.097, -0.132, -0.878, 0.664, -0.850, -1.670,
                    -0.176, -0.035, -0.174, -0.974, -0.287, 0.755, -0.229, -0.224, 0.104, 0.582, -0.986,
                    -0.211, 0.181, 0.224, -0.097, 0.214, -0.330])
SHAPE_WEIGHTS = np.array([0.720, 0.160, -0.394, -0.588, -0.453, 0.139, 0.007, -0.751, 0.403, -1.100, -1.436,
                          -0.179, -0.082, -0.175, -0.915, -0.313, 0.475, -0.328, -0.152])
BIAS = -1.952
SHAPE_BIAS = -1.693
SHAPES = 19  # the first SHAPES features come from the two lines alone


@dataclass(frozen=True)
class Post:
    """Lines ``start``..``end`` (0-based, end exclusive) of the dump, and their text."""

    start: int
    end: int
    text: str


def split_posts(text: str, embed: Embed | None = None) -> list[Post]:
    """The posts in ``text`` in file order; ``embed`` (the library's embedder) adds meaning, and
    without it the line shapes decide alone."""
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        return []
    breaks = boundaries([lines[i] for i in filled], embed)
    starts = [filled[0]] + [filled[g + 1] for g in breaks]
    ends = starts[1:] + [filled[-1] + 1]
    return [Post(s, e, "\n".join(lines[s:e]).strip()) for s, e in zip(starts, ends)]


def boundaries(lines: list[str], embed: Embed | None) -> list[int]:
    """The gaps (after line ``g``) where a new post starts: the likeliest split the beam finds.

    Each kept split is keyed by where its current post started (two splits that agree on that
    see the same features from here on, so only the likelier one is kept) and scored by the sum
    of the log-probabilities of its decisions."""
    lines = [line.strip() for line in lines]
    vectors = line_vectors(lines, embed) if embed is not None and len(lines) > 2 else None
    beam: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}
    for g in range(len(lines) - 1):
        ahead: dict[int, tuple[float, list[int]]] = {}
        for start, (score, breaks) in beam.items():
            logit = _logit(gap_features(lines, vectors, start, g), vectors is not None)
            for key, option in ((start, (score - _softplus(logit), breaks)),
                                (g + 1, (score - _softplus(-logit), [*breaks, g]))):
                if key not in ahead or ahead[key][0] < option[0]:
                    ahead[key] = option
        beam = dict(sorted(ahead.items(), key=lambda kv: -kv[1][0])[:BEAM])
    return max(beam.values(), key=lambda option: option[0])[1]


def _logit(features: np.ndarray, with_meaning: bool) -> float:
    """The log-odds that a new post starts at this gap."""
    x = (features - MEAN) / SCALE
    if with_meaning:
        return float(x @ WEIGHTS) + BIAS
    return float(x[:SHAPES] @ SHAPE_WEIGHTS) + SHAPE_BIAS


def _softplus(z: float) -> float:
    """``log(1 + e^z)`` without overflow: minus the log-probability of the decision against ``z``."""
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


@dataclass(frozen=True)
class LineVectors:
    """Unit vectors of a dump's lines, which lines carry words (not just a link), and the median
    similarity of two lines of the file: the baseline a post's cohesion is measured against."""

    unit: np.ndarray
    worded: np.ndarray
    baseline: float


def line_vectors(lines: list[str], embed: Embed) -> LineVectors:
    """Embed each line with its links taken out (a t.co address says nothing about the post)."""
    bare = [_URL.sub("", line).strip() for line in lines]
    vectors = np.asarray(embed([b or line for b, line in zip(bare, lines)]), dtype=np.float64)
    unit = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)
    worded = np.array([bool(b.strip(" \t:→-•›")) and not _ONLY_URL.match(line) for b, line in zip(bare, lines)])
    sample = unit[:: max(1, len(unit) // SAMPLE)]  # evenly spread, so a long dump costs no more
    sims = sample @ sample.T
    apart = sims[np.triu_indices(len(sample), 2)]  # lines not next to each other: mostly other posts
    return LineVectors(unit, worded, float(np.median(apart)) if apart.size else 0.0)


def gap_features(lines: list[str], vectors: LineVectors | None, start: int, g: int) -> np.ndarray:
    """The features (in ``FEATURES`` order) of the gap after line ``g`` of a post begun at ``start``."""
    before, after = lines[g], lines[g + 1]
    shapes = _shape(before, after)
    if vectors is None:
        return np.array(shapes + [0.0] * (len(FEATURES) - SHAPES))
    return np.array(shapes + _meaning(vectors, start, g))


def _shape(before: str, after: str) -> list[float]:
    """How the line before the gap ends and how the line after it begins.

    How a line ends is read from its last ``TAIL`` characters: the end-anchored patterns would
    otherwise retry from every position of a long line (minutes for one 200 KB line of dots)."""
    end = before[-TAIL:]
    last_word = (re.findall(r"\w+", end.lower())[-1:] or [""])[0]
    flags = [
        _ENDS_LINK.search(end), _ENDS_MENTION.search(end), _ONLY_URL.match(before),
        _TERMINAL.search(end), end.endswith((":", ",", ";", "(", "-", "–", "—")) or last_word in _CARRY_WORDS,
        end.rstrip().endswith("?"), _SYMBOL_END.search(end), _LIST_ITEM.match(before),
        after[:1].islower(), _LIST_ITEM.match(after), _ONLY_URL.match(after), _CONNECTIVE.match(after),
        _OPENER.match(after), _MENTIONS_ONLY.match(after), _CREDITS.match(after), after[:1] in "\"“",
    ]
    carried = flags[4] and after[:1].islower()
    return [float(bool(f)) for f in flags] + [np.log1p(len(after)) / 5, float(len(before) > LONG and len(after) > LONG),
                                              float(carried)]


def _meaning(vectors: LineVectors, start: int, g: int) -> list[float]:
    """How the next worded lines sit with the post so far (begun at ``start``)."""
    unit, worded = vectors.unit, vectors.worded
    rows = [r for r in range(start, g + 1) if worded[r]]
    post = _mean(unit, rows)
    ahead = list(islice((r for r in range(g + 1, len(unit)) if worded[r]), WINDOW))
    nearest = unit[ahead[0]] if ahead else _mean(unit, ahead)
    after = g + 1
    onward = float(unit[after] @ unit[after + 1]) - float(unit[g] @ unit[after]) if after + 1 < len(unit) else 0.0
    earlier = [r for r in rows if r < g]
    return [
        float(unit[g] @ unit[after]),
        float(np.log1p(after - start)),
        _cosine(post, _mean(unit, ahead)) - vectors.baseline,
        _cosine(post, nearest) - vectors.baseline,
        float(unit[start] @ unit[after]),
        onward,
        _cosine(_mean(unit, rows[-RECENT:]), unit[after]) - vectors.baseline,
        _cosine(_mean(unit, earlier), unit[g]) if earlier else 1.0,
        float(np.max(unit[rows] @ unit[after])) if rows else 0.0,
    ]


def _mean(unit: np.ndarray, rows: list[int]) -> np.ndarray:
    return unit[rows].mean(axis=0) if rows else np.zeros(unit.shape[1])


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
