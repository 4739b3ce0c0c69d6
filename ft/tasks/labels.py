"""Tag hygiene: finding labels that mean the same, and folding one into another."""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.labels import label_counts, rename_label

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["merge_labels", "merge_suggestions"]


def merge_suggestions(lib: Library, threshold: float = 0.8) -> list[tuple[str, str, str, float]]:
    """(taxonomy, smaller label, larger label, similarity) for label pairs whose names embed alike."""
    by_taxonomy: dict[str, list[tuple[str, int]]] = {}
    for taxonomy, label, count, _ in label_counts(lib.db):
        by_taxonomy.setdefault(taxonomy, []).append((label, count))
    pairs = []
    for taxonomy, labels in by_taxonomy.items():
        if len(labels) < 2:
            continue
        names = [name.replace("-", " ").replace("_", " ") for name, _ in labels]
        vectors = lib.embedder.embed(names)
        sims = vectors @ vectors.T
        for i in range(len(labels)):
            for j in range(i + 1, len(labels)):
                if sims[i, j] >= threshold:
                    (a, na), (b, nb) = sorted([labels[i], labels[j]], key=lambda x: x[1])  # fold the rarer
                    pairs.append((taxonomy, a, b, float(sims[i, j])))
    return sorted(pairs, key=lambda p: -p[3])


def merge_labels(lib: Library, taxonomy: str, source: str, target: str) -> int:
    """Move every ``source`` label to ``target``; an item that has both keeps one. Returns items moved."""
    return rename_label(lib.db, taxonomy, source, target)
