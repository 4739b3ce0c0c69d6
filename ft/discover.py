"""``ft classify --discover``: propose a taxonomy from the library itself.

Items are clustered by their embeddings (k-means, with k chosen by the
silhouette score among 4 or more clusters, through scikit-learn); each cluster
is described by the words that set it apart (class-based TF-IDF over its
items) and named by the local model: shown the titles nearest the cluster's
centre, it scores those distinctive words as the topic's name and the likeliest
wins, so a name is always a real word of the cluster. The result is a taxonomy
in the JSON shape ``--taxonomy-file`` reads, for the user to edit and accept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .classify import item_text, item_vectors
from .errors import FtError

__all__ = ["Proposal", "discover"]

_WORD = re.compile(r"(?<![/\w.])[a-zA-Z][a-zA-Z-]{2,}\b(?![/.]\w)")  # words, not pieces of URLs
_STOP = set("""the and for with that this from are was were have has had not but you your our their its they them
there here what when where which who why how all any can will would could should into about over more most some such
than then very just also only one two new like use using used get got make made out per via may might much many first
show shows way ways thing things lot lots even still each every own http https www com org html""".split())


@dataclass
class Proposal:
    name: str
    description: str
    size: int
    titles: list[str]


def _choose_k(vectors: np.ndarray, most: int) -> tuple[int, np.ndarray]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    best = (-1.0, 2, None)
    for k in range(min(4, most), most + 1):
        if k >= len(vectors):
            break
        labels = KMeans(n_clusters=k, n_init=5, random_state=0).fit_predict(vectors)
        score = silhouette_score(vectors, labels, metric="cosine")
        if score > best[0]:
            best = (score, k, labels)
    return best[1], best[2]


def _distinctive(docs: list[list[str]], labels: np.ndarray, k: int, top: int = 8) -> list[list[str]]:
    """Each cluster's words, ranked by class-based TF-IDF (frequent here, rare elsewhere)."""
    counts = [Counter() for _ in range(k)]
    for words, label in zip(docs, labels):
        counts[label].update(words)
    spread = Counter(w for c in counts for w in c)
    out = []
    for c in counts:
        total = sum(c.values()) or 1
        scored = sorted(c, key=lambda w: -(c[w] / total) * np.log(1 + k / spread[w]))
        out.append(scored[:top])
    return out


def discover(lib, engine_factory, most: int = 10) -> list[Proposal]:
    lib.embed()
    rows = lib.db.execute("SELECT id, title, text FROM items").fetchall()
    if len(rows) < 6:
        raise FtError(f"the library has {len(rows)} items; discovering topics needs at least 6")
    vectors = item_vectors(lib, rows)
    k, labels = _choose_k(vectors, min(most, len(rows) // 3))
    docs = [[w.lower() for w in _WORD.findall(item_text(title, text)) if w.lower() not in _STOP] for _, title, text in rows]
    words = _distinctive(docs, labels, k)
    engine = engine_factory()
    proposals = []
    for cluster in range(k):
        members = np.flatnonzero(labels == cluster)
        centre = vectors[members].mean(axis=0)
        central = members[np.argsort(-(vectors[members] @ centre))][:5]
        titles = [rows[i][1] for i in central]
        prompt = "Titles of saved items:\n" + "\n".join(f"- {t}" for t in titles) + "\nThe topic these items share:"
        taken = {p.name for p in proposals}
        candidates = [w for w in words[cluster] if w not in taken] or [f"topic-{cluster + 1}"]
        scores = engine.score(prompt, [f" {w}" for w in candidates])
        name = candidates[int(np.argmax(scores))]
        proposals.append(Proposal(name, ", ".join(words[cluster]), len(members), titles))
    return sorted(proposals, key=lambda p: -p.size)
