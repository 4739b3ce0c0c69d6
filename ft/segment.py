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
from functools import cache

import numpy as np

__all__ = ["Post", "boundary_scores", "split_posts"]

Embed = Callable[[Sequence[str]], np.ndarray]

_URL = re.compile(r"https?://\S+")
_CLOSING = re.compile(r"(https?://\S+|@\w+)[^\w@]*$|^cc\b", re.IGNORECASE)  # a link, a mention or a "cc" closes a post
_ONLY_URL = re.compile(r"^[\W_]*(\w[\w .+-]{0,20}:\s*)?https?://\S+[\W_]*$")  # "Blog: https://…", "→ https://…"
_LIST_ITEM = re.compile(r"^\s*([-*•›→]|\d{1,2}[.)]\s|\d{1,2}:\d{2}\b)")
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
THRESHOLD = 0.6
WINDOW = 2           # lines on each side compared by meaning


@dataclass(frozen=True)
class Post:
    """Lines ``start``..``end`` (0-based, end exclusive) of the dump, and their text."""

    start: int
    end: int
    text: str


def split_posts(text: str, embed: Embed | None = None) -> list[Post]:
    """The posts in ``text`` in file order; ``embed`` (the shipped MiniLM by default) adds meaning."""
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        return []
    scores = boundary_scores([lines[i] for i in filled], embed if embed is not None else _default_embed())
    starts = [filled[0]] + [filled[g + 1] for g, s in enumerate(scores) if s > THRESHOLD]
    ends = starts[1:] + [filled[-1] + 1]
    return [Post(s, e, "\n".join(lines[s:e]).strip()) for s, e in zip(starts, ends)]


def boundary_scores(lines: list[str], embed: Embed | None) -> list[float]:
    """One score per gap between neighbouring non-blank lines: higher means a new post starts."""
    meaning = _dips(lines, embed) if embed is not None and len(lines) > 2 else [0.0] * (len(lines) - 1)
    return [_shape(lines[g].strip(), lines[g + 1].strip()) + W_MEANING * meaning[g] for g in range(len(lines) - 1)]


def _shape(before: str, after: str) -> float:
    """The line-shape evidence for a boundary between ``before`` and ``after``."""
    score = W_CLOSING if _CLOSING.search(before) else 0.0
    last_word = re.findall(r"\w+", before.lower())[-1:] or [""]
    if before.endswith((":", ",", ";", "(")) or last_word[0] in _CARRY_WORDS or (
            not _TERMINAL.search(before) and after[:1].islower()):
        score -= W_CARRY
    if _LIST_ITEM.match(after) or _MENTIONS_ONLY.match(after) or _CONNECTIVE.match(after) or (
            _ONLY_URL.match(after) and not _ONLY_URL.match(before)):
        score -= W_FOLLOWS
    return score


def _dips(lines: list[str], embed: Embed) -> list[float]:
    """TextTiling depth per gap: how far the similarity of the windows either side falls below
    the peaks around it (0 where the text holds together)."""
    vectors = embed([_URL.sub("", line) or line for line in lines])
    sims = []
    for g in range(len(lines) - 1):
        left = vectors[max(0, g + 1 - WINDOW): g + 1].mean(axis=0)
        right = vectors[g + 1: g + 1 + WINDOW].mean(axis=0)
        sims.append(float(left @ right / (np.linalg.norm(left) * np.linalg.norm(right) + 1e-9)))
    depths = []
    for g, sim in enumerate(sims):
        left_peak = max(sims[max(0, g - 2): g + 1])
        right_peak = max(sims[g: g + 3])
        depths.append((left_peak - sim) + (right_peak - sim))
    return depths


@cache
def _default_embed() -> Embed | None:
    """The shipped MiniLM, loaded once; without onnxruntime the line shapes decide alone."""
    try:
        from index.embedders import OnnxEmbedder

        return OnnxEmbedder(device="cpu").embed
    except ImportError:
        return None
