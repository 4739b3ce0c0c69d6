"""What a bare label name means in this library: its words, its nearest items, self-training.

``ft classify --labels a,b,c`` gives only names, and a name embedded alone ("systems") is a poor
centroid: it sits nearer to generic text than to the items a person would file under it. The
library itself says more:

1. **Its vocabulary.** The library's own words (those in at least two items and at most a
   quarter of them) are embedded one by one; each label takes the ``TERMS`` words nearest its
   name among those nearer to it than to any other label ("business": company, revenue,
   customers, market…). The words become the label's description, so the cascade scores items
   against each of them as facets, as it does for a taxonomy a person described, and the
   language model reads them in its prompt. The label's query is its name plus their mean.
2. **Its items.** Each label starts at that query; the items nearest it that are clearly its
   own (they beat the runner-up label) become its examples; the centroid moves to the mean of
   query and examples, and the items are assigned again, a few rounds. The examples are handed
   to the cascade like a user's corrections.
3. **Its neighbourhoods.** The cascade built from 1 and 2 scores the library sample; each
   label's surest items are spread over the library's nearest-neighbour graph (label spreading,
   scikit-learn), and the surest items of the spread labels become the examples the cascade
   is retrained with. A label reaches the items near its own, not only those near its name.
4. **Its balance.** Some names pull every item a little ("systems", "research"). The cascade
   subtracts each label's mean score over the library sample, so the winner is the label that
   fits an item better than it fits items in general.

A folder name is often shorthand ("ml", "infra", "biz", "totry"), which the embedder reads as
something else (millilitres; "area, state"): a short table spells the common ones out
(``SHORTHANDS``), and the spelt-out words lead the label's description. The same table gives
"inference" its reading-library sense, running models: MiniLM reads it as logic.

Tried on the dev halves and left out because they did not help on both label sets: a prompt
template around the name ("a post about X"), keyword-search hits for the name as seeds,
words distinctive of a label's self-trained items, a per-label quota of examples, centring
the scores used in self-training; reading each name with the library's domain words ("X
(words nearest the library's centroid)" or its commonest words), the name plus the library's
sentences around it, ranking its words by margin over the other labels or by how many items
they fit, Sinkhorn-balanced assignment in self-training or as the prior, and a one-line
description written by the shipped small models (they copied the prompt or rambled, and took
a minute); later, on four 82–89-item dev sets written blind, the centroid of the items that
contain the name (in a small AI library every such word is everywhere), the name's contextual
vectors over the library's sentences, and the small model scoring each item under "Topic: X".
On the 27–32-item dev halves a difference of a few hundredths is not evidence (BENCHMARKS.md:
what moves them, and what does not).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.store import item_ids

from .taxonomy import Label, Taxonomy
from .terms import content_words

__all__ = ["Meanings", "name_meanings"]

Embed = Callable[[Sequence[str]], np.ndarray]

# Set on the dev halves of demo/eval/labels.jsonl and demo/eval/labels-feed.jsonl.
SAMPLE = 4000       # items the label meanings are learnt from, evenly spread over the library
ROUNDS = 2          # self-training rounds
SHARE = 0.5         # of the items a label wins, the most confident share become its examples
NAME_WEIGHT = 0.5   # the label's query weight against the mean of its examples
VOCABULARY = 2000   # the library's commonest words embedded to find each name's vocabulary
TERMS = 8           # words kept per label
TEXT_CHARS = 2000   # how much of an item its words are read from
NEIGHBOURS = 7      # the library graph labels spread over (scikit-learn's default)

# Folder-name shorthands the embedder misreads, spelt out. Only readings that hold in a
# reading library; an ambiguous one ("qa", "crypto", "prod") is left as the user typed it.
SHORTHANDS = {
    "ai": "artificial intelligence", "ml": "machine learning", "dl": "deep learning",
    "rl": "reinforcement learning", "nlp": "natural language processing", "cv": "computer vision",
    "llm": "large language models", "llms": "large language models", "genai": "generative ai",
    "rag": "retrieval augmented generation", "mlops": "machine learning operations",
    "infra": "infrastructure", "ops": "operations", "devops": "software operations and deployment",
    "sre": "site reliability engineering", "hpc": "high performance computing",
    "dev": "software development", "eng": "engineering", "swe": "software engineering",
    "sec": "security", "infosec": "information security", "perf": "performance",
    "eval": "evaluation", "evals": "evaluations", "bench": "benchmarks",
    "hw": "hardware", "sw": "software", "os": "operating systems", "db": "databases", "dbs": "databases",
    "algo": "algorithms", "algos": "algorithms", "ds": "data science", "viz": "visualization",
    "dataviz": "data visualization", "ui": "user interfaces", "ux": "user experience",
    "biz": "business", "econ": "economics", "fin": "finance", "mgmt": "management",
    "pm": "product management", "hr": "human resources", "gov": "government", "govt": "government",
    "edu": "education", "math": "mathematics", "maths": "mathematics", "stats": "statistics",
    "bio": "biology", "chem": "chemistry", "phys": "physics", "neuro": "neuroscience",
    "med": "medicine", "psych": "psychology", "phil": "philosophy", "lit": "literature",
    "sci": "science", "tech": "technology", "robo": "robotics", "diy": "do it yourself",
    "recs": "recommendations", "docs": "documentation", "misc": "miscellaneous",
    "todo": "to do", "toread": "to read", "totry": "to try", "towatch": "to watch",
    "tolearn": "to learn", "readlater": "read later",
    # Not shorthand, but read by MiniLM as logic ("reasoning, argument, assumption") where a reading
    # library's folder means running models: F1 0 for it on two of three dev sets that use it.
    "inference": "running models",
}


@dataclass
class Meanings:
    """What the library says about a taxonomy's bare label names."""

    taxonomy: Taxonomy  # each bare label described by its library words
    examples: list[tuple[str, np.ndarray]]  # (label, item vector) found by self-training
    library: np.ndarray | None = None  # the item vectors they were learnt from (None: no bare label)
    bare: frozenset[str] = frozenset()  # the labels given by name alone

    def spread(self, scores: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """Examples for the bare labels, from ``scores`` (N, L) of the library sample: the surest
        items of each label once its surest items by ``scores`` have spread (``spread_labels``)."""
        names = self.taxonomy.names
        surest = _confident_members(spread_labels(self.library, scores))
        return [(names[label], self.library[j]) for label, members in enumerate(surest) if names[label] in self.bare
                for j in members]


def spread_labels(library: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(N, L) label weights after each label's surest items by ``scores`` spread over the
    library's nearest-neighbour graph (label spreading); each label's total is then evened out,
    so one that spread far does not swallow the rest."""
    from sklearn.semi_supervised import LabelSpreading

    seeds = np.full(len(library), -1)
    for label, members in enumerate(_confident_members(scores)):
        seeds[members] = label
    spreading = LabelSpreading(kernel="knn", n_neighbors=min(NEIGHBOURS, len(library) - 1)).fit(library, seeds)
    spread = np.zeros_like(scores)
    spread[:, spreading.classes_] = spreading.label_distributions_
    return spread / np.maximum(spread.sum(axis=0), 1e-9)


def name_meanings(lib, taxonomy: Taxonomy, embed: Embed) -> Meanings:
    """The taxonomy with a description of library words for each label that has neither
    description nor examples, (label, item vector) examples for those labels, and the library
    sample, against which the cascade evens out how strongly each label pulls."""
    bare = {label.name for label in taxonomy.labels if not label.description and not label.examples}
    if not bare:
        return Meanings(taxonomy, [])
    vectors, texts = _items(lib)
    if len(vectors) < 2 * len(taxonomy.labels):
        return Meanings(taxonomy, [])
    names = _unit(embed([spelt_out(label.name) if label.name in bare else label.prompt.replace("-", " ").replace("_", " ")
                         for label in taxonomy.labels]))
    words, queries = _vocabulary_of(names, _vocabulary(texts), embed)
    centroids, members = queries, [np.zeros(0, dtype=int)] * len(names)
    for _ in range(ROUNDS):
        members = _confident_members(vectors @ centroids.T)
        centroids = _unit(np.array([NAME_WEIGHT * queries[i] + (vectors[m].mean(axis=0) if len(m) else 0.0)
                                    for i, m in enumerate(members)]))
    described = Taxonomy(taxonomy.name, tuple(
        Label(label.name, ", ".join(_described_by(label.name, found))) if label.name in bare else label
        for label, found in zip(taxonomy.labels, words)))
    examples = [(label.name, vectors[j]) for label, m in zip(taxonomy.labels, members) if label.name in bare for j in m]
    return Meanings(described, examples, vectors, frozenset(bare))


def _described_by(name: str, words: list[str]) -> list[str]:
    """A bare label's description: its library words, led by its spelt-out form if it is shorthand."""
    spelled = spelt_out(name)
    return list(dict.fromkeys([spelled, *words])) if spelled != name else words


def spelt_out(name: str) -> str:
    """A label name as words: separators as spaces, a common shorthand spelt out ("ml")."""
    words = name.replace("-", " ").replace("_", " ")
    return SHORTHANDS.get(words.lower().strip(), words)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _items(lib) -> tuple[np.ndarray, list[str]]:
    """Unit vectors (mean of chunks) and texts of up to ``SAMPLE`` items spread evenly over the library."""
    ids = item_ids(lib.db)
    step = max(1, len(ids) // SAMPLE)
    found, texts = [], []
    for item_id in ids[::step]:
        vector = lib.vectors.item_vector(item_id)
        if vector is not None:
            item = lib.get(item_id)
            found.append(vector)
            texts.append(f"{item.title}\n{item.text[:TEXT_CHARS]}")
    if not found:
        return np.zeros((0, 1), dtype=np.float32), []
    return _unit(np.array(found, dtype=np.float32)), texts


def _vocabulary(texts: Sequence[str]) -> list[str]:
    """The library's commonest content words, leaving out those in one item only (names, typos)
    and those in more than a quarter of the items (they say nothing about a topic)."""
    frequency = Counter(w for text in texts for w in set(content_words(text)) if w.isalpha() and len(w) > 2)
    most = max(2, len(texts) // 4)
    return [w for w, n in sorted(frequency.items(), key=lambda wn: (-wn[1], wn[0])) if 2 <= n <= most][:VOCABULARY]


def _vocabulary_of(names: np.ndarray, vocabulary: list[str], embed: Embed) -> tuple[list[list[str]], np.ndarray]:
    """Per label, the words nearest its name among those nearer to it than to any other label,
    and its query: the name plus the mean of those words, unit length."""
    if not vocabulary:
        return [[] for _ in names], names
    terms = _unit(embed(vocabulary))
    sims = terms @ names.T
    owner = sims.argmax(axis=1)
    words, queries = [], []
    for label in range(len(names)):
        mine = np.flatnonzero(owner == label)
        top = mine[np.argsort(-sims[mine, label])[:TERMS]]
        words.append([vocabulary[j] for j in top])
        queries.append(names[label] + (terms[top].mean(axis=0) if len(top) else 0.0))
    return words, _unit(np.array(queries))


def _confident_members(sims: np.ndarray) -> list[np.ndarray]:
    """Per label, the items it wins by the widest margins (its most confident share)."""
    ordered = np.sort(sims, axis=1)
    margin = ordered[:, -1] - ordered[:, -2]
    winner = sims.argmax(axis=1)
    out = []
    for label in range(sims.shape[1]):
        won = np.flatnonzero(winner == label)
        keep = max(1, int(len(won) * SHARE)) if len(won) else 0
        out.append(won[np.argsort(-margin[won])[:keep]])
    return out
