"""Split a text dump of posts (copied bookmarks, a thread reader, a chat) into one span per post.

Dumps carry no separators, so no single signal finds the boundaries: a line that ends in a link
often closes a post, but a "Paper: https://…" line sits inside one; a change of topic often starts
one, but a long essay drifts too. Each gap between two lines is described by its line shapes (what
closes a post, what only continues one, how long the lines are) and by meaning (how similar the
next lines are to the post so far and to the line before, measured against how similar any two
lines of the file are, TextTiling-style), and whether the next line reads like a post's first
line at all (a model of its first words, and one of its embedding). A small learnt model weighs
these features; the gaps are read in order, keeping the few likeliest ways to have split the
lines so far (a beam search): the features of a gap depend on where its post started, so a split
missed early would otherwise skew every gap after it. The weights (``segment_weights.json``)
were fit on the dev half of ``demo/eval/segments.jsonl`` only, by ``demo/eval/fit_segments.py``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from itertools import islice
from pathlib import Path

import numpy as np

__all__ = ["FEATURES", "LineVectors", "Post", "Weights", "boundaries", "decode", "gap_features", "line_vectors",
           "opening_words", "split_posts"]

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
_TOKEN = re.compile(r"\w+|[^\w\s]")  # a word, or one symbol or emoji
_CONNECTIVE = re.compile(r"^(and|but|so|or|also|then|which|because|if you|it|this|that|these|those|they|we|"
                         r"here|there|today|soon|crucially|building|however|still|plus|p\.s\.)\b", re.IGNORECASE)

TAIL = 500      # characters at the end of a line that say how it ends (and at its start, how it opens)
WINDOW = 2      # lines ahead compared by meaning
LONG = 150      # characters: two paragraphs this long in a row read as one essay
SAMPLE = 400    # lines whose pairwise similarity sets a dump's baseline
RECENT = 3      # lines at the end of a post that say where it has got to
BEAM = 4        # ways of splitting the lines so far kept while reading on
OPENING_TOKENS = 6  # a line's first words and symbols, read for how posts open

FEATURES = (
    # line shapes: the line before the gap …
    "ends in a link", "ends in a mention", "is only a link", "ends a sentence", "is cut mid-sentence",
    "ends in a question mark", "ends in an emoji or symbol", "is a list item",
    # … the line after it …
    "starts lower case", "is a list item", "is only a link", "starts with a connective",
    "opens with a short label", "is only mentions", "is a credits line", "opens a quotation",
    # … and both
    "log length after", "both are long paragraphs", "a sentence carried on in lower case",
    "next line's first words read as an opening",
    # meaning (without an embedder, the shapes alone decide, with weights of their own)
    "similarity of the two lines", "log lines in the post so far", "next lines vs the post, over the file's median",
    "next line vs the post, over the file's median", "next line vs the post's first line",
    "next line vs the line after it, over vs the line before", "next line vs the post's last lines",
    "line before vs the rest of its post", "next line vs the post's closest line",
    # the post so far (they only count with meaning: the shapes-alone model reads two lines)
    "log characters in the post so far", "log length before", "log long paragraphs in the post so far",
    # the next line by its meaning alone: does it read like the first line of a post?
    "next line reads as an opening",
)
OPENING = FEATURES.index("next line reads as an opening")
PROBE = "A short sentence that tells one embedder from another."
SAME_EMBEDDER = 0.9  # the probe's cosine to its vector at fitting time above which the opener applies
SHAPES = 20  # the first SHAPES features come from the two lines alone
WEIGHTS_FILE = Path(__file__).with_name("segment_weights.json")


@dataclass(frozen=True)
class Weights:
    """The model of a gap, fit by ``demo/eval/fit_segments.py`` on the dev half of
    ``demo/eval/segments.jsonl`` (never the test half): the features' mean and scale over the dev
    gaps; small neural networks (one hidden layer of ReLUs, a logistic output) over all of them,
    averaged, and a logistic model over the line shapes alone, for splitting without an embedder.
    With 63 dev dumps the networks beat one logistic model over the same features (leave-one-dump-out
    0.80 against 0.76, 0.82 with the post's extent): a sign's weight depends on the others (a link
    line closes a short post, not a long essay's paragraph). They are now fit on 183 dumps.

    The opener is a logistic model over a line's embedding that says whether it reads like the
    first line of a post ("Things I wish I knew before…", "Lovely paper, and…"); it only means
    something with the embedder it was fit with, so ``probe`` (that embedder's vector for
    ``PROBE``) must match, and otherwise the feature stays at its mean. The wording is another
    logistic model, over a line's first words and word pairs (``opening_words``, TF-IDF): "my",
    "1 /", "today", "hot take" open posts; "-", "→", "thanks to", "so" carry one on. It is one of
    the line shapes, so splitting without an embedder reads it too."""

    mean: np.ndarray
    scale: np.ndarray
    nets: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, float], ...]  # (W1, b1, w2, b2) each
    shape_weights: np.ndarray
    shape_bias: float
    opener: np.ndarray
    opener_bias: float
    probe: np.ndarray
    wording: dict[str, tuple[float, float]]  # opening word or pair: (its idf, its weight)
    wording_bias: float

    def worded(self, lines: Sequence[str]) -> np.ndarray:
        """How much each line's first words read like a post's opening (the wording model's log-odds)."""
        out = np.full(len(lines), self.wording_bias)
        for i, line in enumerate(lines):
            counts = Counter(t for t in opening_words(line) if t in self.wording)
            tfidf = {t: (1 + math.log(n)) * self.wording[t][0] for t, n in counts.items()}
            norm = math.sqrt(sum(v * v for v in tfidf.values()))
            if norm:
                out[i] += sum(v * self.wording[t][1] for t, v in tfidf.items()) / norm
        return out

    def opening(self, unit: np.ndarray, embed: Embed) -> np.ndarray:
        """How much each line (``unit``: its embedding) reads like a post's first line, or the
        feature's mean for every line when ``embed`` is not the embedder the opener was fit with."""
        if unit.shape[1] == len(self.opener):
            probe = np.asarray(embed([PROBE]), dtype=np.float64)[0]
            if _cosine(probe, self.probe) >= SAME_EMBEDDER:
                return unit @ self.opener + self.opener_bias
        return np.full(len(unit), self.mean[OPENING])

    def logit(self, features: np.ndarray, with_meaning: bool) -> float:
        """The log-odds that a new post starts at this gap."""
        x = (features - self.mean) / self.scale
        if not with_meaning:
            return float(x[:SHAPES] @ self.shape_weights) + self.shape_bias
        chance = float(np.mean([_sigmoid(float(np.maximum(x @ w1 + b1, 0.0) @ w2) + b2) for w1, b1, w2, b2 in self.nets]))
        chance = min(max(chance, 1e-9), 1 - 1e-9)
        return math.log(chance / (1 - chance))

    def to_json(self) -> dict:
        """The weights as JSON, to 6 decimals (a file that reads and diffs)."""
        def short(values) -> list | float:
            return np.round(np.asarray(values, dtype=float), 6).tolist()

        return {"mean": short(self.mean), "scale": short(self.scale),
                "nets": [[short(w1), short(b1), short(w2), short(b2)] for w1, b1, w2, b2 in self.nets],
                "shape_weights": short(self.shape_weights), "shape_bias": short(self.shape_bias),
                "opener": short(self.opener), "opener_bias": short(self.opener_bias), "probe": short(self.probe),
                "wording": {t: short(v) for t, v in sorted(self.wording.items())}, "wording_bias": short(self.wording_bias)}

    @classmethod
    def from_json(cls, data: dict) -> Weights:
        return cls(np.array(data["mean"]), np.array(data["scale"]),
                   tuple((np.array(w1), np.array(b1), np.array(w2), float(b2)) for w1, b1, w2, b2 in data["nets"]),
                   np.array(data["shape_weights"]), float(data["shape_bias"]),
                   np.array(data["opener"]), float(data["opener_bias"]), np.array(data["probe"]),
                   {t: (float(idf), float(w)) for t, (idf, w) in data["wording"].items()}, float(data["wording_bias"]))


@cache
def shipped_weights() -> Weights:
    """The weights shipped with ft, read once."""
    return Weights.from_json(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


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


def boundaries(lines: list[str], embed: Embed | None, weights: Weights | None = None) -> list[int]:
    """The gaps (after line ``g``) where a new post starts, with the shipped ``weights`` unless
    others are given: the lines embedded, then read by ``decode``."""
    lines = [line.strip() for line in lines]
    weights = weights or shipped_weights()
    vectors = None
    if embed is not None and len(lines) > 2:
        vectors = line_vectors(lines, embed)
        vectors = replace(vectors, opening=weights.opening(vectors.unit, embed))
    return decode(lines, vectors, weights, weights.worded(lines))


def decode(lines: list[str], vectors: LineVectors | None, weights: Weights, worded: np.ndarray) -> list[int]:
    """The likeliest split the beam finds, from lines already embedded (``vectors``, or ``None``:
    the shapes alone) and read for their opening words (``worded``, per line: ``Weights.worded``).

    Each kept split is keyed by where its current post started (two splits that agree on that
    see the same features from here on, so only the likelier one is kept) and scored by the sum
    of the log-probabilities of its decisions."""
    beam: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}
    for g in range(len(lines) - 1):
        ahead: dict[int, tuple[float, list[int]]] = {}
        for start, (score, breaks) in beam.items():
            logit = weights.logit(gap_features(lines, vectors, worded, start, g), vectors is not None)
            for key, option in ((start, (score - _softplus(logit), breaks)),
                                (g + 1, (score - _softplus(-logit), [*breaks, g]))):
                if key not in ahead or ahead[key][0] < option[0]:
                    ahead[key] = option
        beam = dict(sorted(ahead.items(), key=lambda kv: -kv[1][0])[:BEAM])
    return max(beam.values(), key=lambda option: option[0])[1]


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
    opening: np.ndarray | None = None  # per line, ``Weights.opening``; set once the weights are known


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


def gap_features(lines: list[str], vectors: LineVectors | None, worded: np.ndarray, start: int, g: int) -> np.ndarray:
    """The features (in ``FEATURES`` order) of the gap after line ``g`` of a post begun at ``start``;
    ``vectors`` carry their opening scores (``Weights.opening``) and ``worded`` is each line's
    (``Weights.worded``); both are cross-fitted when fitting."""
    before, after = lines[g], lines[g + 1]
    shapes = _shape(before, after) + [float(worded[g + 1])]
    if vectors is None:
        return np.array(shapes + [0.0] * (len(FEATURES) - SHAPES))
    if vectors.opening is None:
        raise ValueError("the lines' opening scores are not set: read them with Weights.opening first")
    return np.array(shapes + _meaning(vectors, start, g) + _extent(lines, start, g) + [float(vectors.opening[g + 1])])


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


def opening_words(line: str) -> list[str]:
    """A line's first ``OPENING_TOKENS`` words and symbols, lower case, and each pair of them in a
    row: what the wording model reads."""
    tokens = [m.group() for m in islice(_TOKEN.finditer(line[:TAIL].lower()), OPENING_TOKENS)]
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


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


def _extent(lines: list[str], start: int, g: int) -> list[float]:
    """How long the post begun at ``start`` has grown by line ``g``: an essay of long paragraphs
    takes another one in, a short post rarely grows a paragraph."""
    post = lines[start:g + 1]
    return [math.log1p(sum(len(line) for line in post)), math.log1p(len(lines[g])),
            math.log1p(sum(len(line) > LONG for line in post))]


def _mean(unit: np.ndarray, rows: list[int]) -> np.ndarray:
    return unit[rows].mean(axis=0) if rows else np.zeros(unit.shape[1])


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
