"""What a bare label name means in this library: its nearest items, refined by self-training.

``ft classify --labels a,b,c`` gives only names, and a name embedded alone ("systems") is a poor
centroid: it sits nearer to generic text than to the items a person would file under it. The
library itself says more. Each label starts at its name's embedding; the items nearest it that
are clearly its own (they beat the runner-up label) become its examples; the label's centroid
moves to the mean of name and examples, and the items are assigned again, a few rounds. The
examples found this way are handed to the cascade like a user's corrections, so descriptions,
examples and real corrections keep working as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from index.store import item_ids

from .taxonomy import Taxonomy

__all__ = ["library_examples"]

# Set on the dev half of demo/eval/labels.jsonl.
SAMPLE = 4000       # items the label meanings are learnt from, evenly spread over the library
ROUNDS = 2          # self-training rounds
SHARE = 0.5         # of the items a label wins, the most confident share become its examples
NAME_WEIGHT = 0.5   # the name's weight against the mean of its examples


def library_examples(lib, taxonomy: Taxonomy, embed: Callable[[Sequence[str]], np.ndarray]) -> list[tuple[str, np.ndarray]]:
    """(label, item vector) examples for the labels that have neither description nor examples."""
    bare = {label.name for label in taxonomy.labels if not label.description and not label.examples}
    if not bare:
        return []
    vectors = _item_vectors(lib)
    if len(vectors) < 2 * len(taxonomy.labels):
        return []
    names = embed([label.prompt.replace("-", " ").replace("_", " ") for label in taxonomy.labels])
    names /= np.linalg.norm(names, axis=1, keepdims=True)
    centroids, members = names, [np.zeros(0, dtype=int)] * len(names)
    for _ in range(ROUNDS):
        members = _confident_members(vectors @ centroids.T)
        centroids = np.array([_centre(names[i], vectors[m]) for i, m in enumerate(members)])
    return [(label.name, vectors[j]) for label, m in zip(taxonomy.labels, members) if label.name in bare for j in m]


def _item_vectors(lib) -> np.ndarray:
    """Unit vectors (mean of chunks) of up to ``SAMPLE`` items spread evenly over the library."""
    ids = item_ids(lib.db)
    step = max(1, len(ids) // SAMPLE)
    found = [v for v in (lib.vectors.item_vector(i) for i in ids[::step]) if v is not None]
    if not found:
        return np.zeros((0, 1), dtype=np.float32)
    out = np.array(found, dtype=np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


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


def _centre(name: np.ndarray, examples: np.ndarray) -> np.ndarray:
    centre = NAME_WEIGHT * name + (examples.mean(axis=0) if len(examples) else 0.0)
    return centre / np.linalg.norm(centre)
