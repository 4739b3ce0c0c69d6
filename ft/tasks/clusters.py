"""Clusters of the library by meaning, each described by its own words and named by the model.

Shared by ``ft classify --discover`` (a taxonomy proposal) and ``ft viz map``
(coloured regions). Items are clustered on their embeddings with k-means, k
chosen by the silhouette score; each cluster is described by the words that
set it apart (class-based TF-IDF) and named by the local model, which scores
those words as the name of the topic its most central titles share, so a name
is always a real word of the cluster. Names are cached by the cluster's
members and the model, so an unchanged library is named without the model.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ft.core.errors import FtError
from ft.core.privacy import private_dir
from index.overview import item_openings

from .classify import item_text, item_vectors

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["Cluster", "Clustering", "cluster_library"]

_WORD = re.compile(r"(?<![/\w.])[a-zA-Z][a-zA-Z-]{2,}\b(?![/.]\w)")  # words, not pieces of URLs
_STOP = set("""the and for with that this from are was were have has had not but you your our their its they them
there here what when where which who why how all any can will would could should into about over more most some such
than then very just also only one two new like use using used get got make made out per via may might much many first
show shows way ways thing things lot lots even still each every own http https www com org html""".split())


@dataclass
class Cluster:
    name: str
    description: str  # its most distinctive words, comma-separated
    members: list[int]  # indexes into Clustering.ids
    central: list[int]  # the members nearest the centre, nearest first


@dataclass
class Clustering:
    ids: list[int]  # item ids
    vectors: np.ndarray  # (N, dim)
    labels: np.ndarray  # (N,) cluster index per item
    clusters: list[Cluster]


def choose_k(vectors: np.ndarray, most: int, least: int = 4) -> np.ndarray:
    """k-means labels for the k in [least, most] with the best silhouette score
    (mini-batch k-means and a sampled silhouette for large libraries)."""
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.metrics import silhouette_score

    large = len(vectors) > 5000
    best = (-2.0, None)
    for k in range(min(least, most), most + 1):
        if k < 2 or k >= len(vectors):
            continue
        model = MiniBatchKMeans(n_clusters=k, n_init=3, random_state=0, batch_size=4096) if large else \
            KMeans(n_clusters=k, n_init=5, random_state=0)
        labels = model.fit_predict(vectors)
        score = silhouette_score(vectors, labels, metric="cosine", sample_size=min(len(vectors), 3000), random_state=0)
        if score > best[0]:
            best = (score, labels)
    return best[1] if best[1] is not None else np.zeros(len(vectors), dtype=int)


def stored_item_vectors(lib: Library, ids: list[int]) -> np.ndarray:
    """(N, dim) the mean of each item's stored chunk vectors, in one pass over the matrix:
    for large libraries, where embedding every item's opening again would take minutes."""
    index = lib.vectors
    len(index)  # loads the matrix
    position = {item_id: n for n, item_id in enumerate(ids)}
    rows = np.array([position.get(int(i), -1) for i in index.item_ids])
    keep = rows >= 0
    sums = np.zeros((len(ids), index.matrix.shape[1]), dtype=np.float32)
    np.add.at(sums, rows[keep], index.matrix[keep])
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.maximum(norms, 1e-12)


def _distinctive(docs: list[list[str]], labels: np.ndarray, k: int, top: int = 8) -> list[list[str]]:
    """Each cluster's words, ranked by class-based TF-IDF (frequent here, rare elsewhere)."""
    counts = [Counter() for _ in range(k)]
    for words, label in zip(docs, labels):
        counts[label].update(words)
    spread = Counter(w for c in counts for w in c)
    out = []
    for c in counts:
        total = sum(c.values()) or 1
        out.append(sorted(c, key=lambda w: -(c[w] / total) * np.log(1 + k / spread[w]))[:top])
    return out


def cluster_library(lib: Library, engine_factory: Callable[[], object] | None, most: int = 10) -> Clustering:
    """Cluster every item and name the clusters (the model is loaded only for names not cached)."""
    lib.embed()
    rows = item_openings(lib.db)
    if len(rows) < 6:
        raise FtError(f"the library has {len(rows)} items; finding topics needs at least 6")
    vectors = item_vectors(lib, rows) if len(rows) <= 2000 else stored_item_vectors(lib, [r[0] for r in rows])
    labels = choose_k(vectors, max(2, min(most, len(rows) // 3)))
    k = int(labels.max()) + 1
    docs = [[w.lower() for w in _WORD.findall(item_text(t, x)) if w.lower() not in _STOP] for _, t, x in rows]
    words = _distinctive(docs, labels, k)
    cache_path = lib.path.parent / "cache" / "cluster-names.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    groups = [[int(i) for i in np.flatnonzero(labels == c)] for c in range(k)]
    centrals = [[m[i] for i in np.argsort(-(vectors[m] @ vectors[m].mean(axis=0)))] for m in groups]
    model = lib.settings.model_for("default")
    keys = [hashlib.sha256(json.dumps([sorted(rows[i][0] for i in m), words[c], model]).encode()).hexdigest()[:24]
            for c, m in enumerate(groups)]
    unnamed = [c for c in range(k) if keys[c] not in cache and words[c]]
    scores: dict[int, list[float]] = {}
    if unnamed and engine_factory is not None:
        engine = engine_factory()

        def score(c: int) -> list[float]:
            prompt = ("Titles of saved items:\n" + "\n".join(f"- {rows[i][1]}" for i in centrals[c][:5])
                      + "\nThe topic these items share:")
            return engine.score(prompt, [f" {w}" for w in words[c]])

        scores = dict(zip(unnamed, engine.each(score, unnamed)))  # up to ``parallel`` clusters at once
    clusters: list[Cluster] = []
    for c in range(k):
        name = cache.get(keys[c])
        if name is None:  # the best-scored word no earlier cluster took
            taken = {cl.name for cl in clusters}
            ranked = sorted(range(len(words[c])), key=lambda j: -scores[c][j]) if c in scores else range(len(words[c]))
            name = next((words[c][j] for j in ranked if words[c][j] not in taken), f"topic-{c + 1}")
            cache[keys[c]] = name
        clusters.append(Cluster(name, ", ".join(words[c]), groups[c], centrals[c]))
    private_dir(cache_path.parent)
    cache_path.write_text(json.dumps(cache))
    return Clustering([r[0] for r in rows], vectors, labels, clusters)
