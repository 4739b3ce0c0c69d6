"""Split a text dump of posts (copied bookmarks, a thread reader, a chat) into one span per post.

Dumps carry no separators, so no single signal finds the boundaries: a line that ends in a link
often closes a post, but a "Paper: https://…" line sits inside one; a topic change often starts
one, but a long essay drifts too. Each gap between two lines is scored by its line shapes (what
closes a post, what only continues one) and by meaning, a TextTiling-style dip in the embedding
similarity of the lines on either side; a gap scoring over a threshold is a boundary. The weights
and the threshold were set on the dev half of ``demo/eval/segments.jsonl`` only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Post", "boundaries", "split_posts"]

Embed = Callable[[Sequence[str]], np.ndarray]

_URL = re.compile(r"https?://\S+")
_CLOSING = re.compile(r"(https?://\S+|@\w+)[^\w@]*$|^cc\b", re.IGNORECASE)  # a link, a mention or a "cc" closes a post
_ONLY_URL = re.compile(r"^[\W_]*(\w[\w .+-]{0,20}:\s*)?https?://\S+[\W_]*$")  # "Blog: https://…", "→ https://…"
_LIST_ITEM = re.compile(r"^\s*([-*•›→]|\d{1,2}[.)]\s|\d{1,2}:\d{2}\b)")
_OPENER = re.compile(r"^[A-Z][\w+#&' -]{0,24}:\s+(?!https?://)\S")
_MENTIONS_ONLY = re.compile(r"^(@\w+\W*)+$")
_TERMINAL = re.compile(r"[.!?…\"”')\]]\W*$|\W$")  # ends a sentence, or in an emoji/symbol
# A line ending in one of these words was wrapped mid-sentence, never closed a post.
_CARRY_WORDS = frozenset("a an the of on in to for with by as and or but at from than is are was be".split())
_CONNECTIVE = re.compile(r"^(and|but|so|or|also|then|which|because|if you|it|this|that|these|those|they|we|"
                         r"here|there|today|soon|crucially|building|however|still|plus|p\.s\.)\b", re.IGNORECASE)

# Weights of the signals and the threshold, set on the dev half of demo/eval/segments.jsonl.
W_CLOSING = 1.0      # the previous line ends in a link or a mention, or is a cc line
W_MEANING = 3.0      # depth of the similarity dip at the gap
W_CARRY = 2.5        # the previous line is cut mid-sentence, or introduces what follows
W_FOLLOWS = 1.2      # the next line is a list item, a labelled link, a credits line, a connective
W_OPENER = 1.0       # the next line opens with a short label: "Q:", "Reminder:", "Hot take:"
W_COHESION = 4.0     # how far the next lines' similarity to the post so far falls below COHESIVE
COHESIVE = 0.3
THRESHOLD = 0.8
WINDOW = 2           # lines on each side compared by meaning
TAIL = 500           # characters at the end of a line that say how it ends


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
    """The gaps (after line ``g``) where a new post starts, read in order: each gap is scored by
    line shapes, the similarity dip around it, and how unlike the post so far the next lines are."""
    shapes = [_shape(lines[g].strip(), lines[g + 1].strip()) for g in range(len(lines) - 1)]
    if embed is None or len(lines) < 3:
        return [g for g, s in enumerate(shapes) if s > THRESHOLD]
    vectors = embed([_URL.sub("", line).strip() or line for line in lines])
    vectors = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)
    dips = _dips(vectors)
    out, start = [], 0
    for g, shape in enumerate(shapes):
        post = vectors[start: g + 1].mean(axis=0)
        ahead = vectors[g + 1: g + 1 + WINDOW].mean(axis=0)
        cohesion = float(post @ ahead / (np.linalg.norm(post) * np.linalg.norm(ahead) + 1e-9))
        if shape + W_MEANING * dips[g] + W_COHESION * (COHESIVE - cohesion) > THRESHOLD:
            out.append(g)
            start = g + 1
    return out


def _shape(before: str, after: str) -> float:
    """The line-shape evidence for a boundary between ``before`` and ``after``.

    How a line ends is read from its last ``TAIL`` characters: the end-anchored patterns would
    otherwise retry from every position of a long line (minutes for one 200 KB line of dots)."""
    end = before[-TAIL:]
    score = W_CLOSING if _CLOSING.search(end) else 0.0
    last_word = re.findall(r"\w+", end.lower())[-1:] or [""]
    if before.endswith((":", ",", ";", "(")) or last_word[0] in _CARRY_WORDS or (
            not _TERMINAL.search(end) and after[:1].islower()):
        score -= W_CARRY
    if _OPENER.match(after):
        score += W_OPENER
    if _LIST_ITEM.match(after) or _MENTIONS_ONLY.match(after) or _CONNECTIVE.match(after) or (
            _ONLY_URL.match(after) and not _ONLY_URL.match(before)):
        score -= W_FOLLOWS
    return score


def _dips(vectors: np.ndarray) -> list[float]:
    """TextTiling depth per gap: how far the similarity of the windows either side falls below
    the peaks around it (0 where the text holds together)."""
    sims = []
    for g in range(len(vectors) - 1):
        left = vectors[max(0, g + 1 - WINDOW): g + 1].mean(axis=0)
        right = vectors[g + 1: g + 1 + WINDOW].mean(axis=0)
        sims.append(float(left @ right / (np.linalg.norm(left) * np.linalg.norm(right) + 1e-9)))
    return [max(sims[max(0, g - 2): g + 1]) + max(sims[g: g + 3]) - 2 * sim for g, sim in enumerate(sims)]
