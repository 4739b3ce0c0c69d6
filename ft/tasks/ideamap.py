"""The map of ideas: every item as a point, near the items it is about, coloured by topic.

``build_map`` projects the items' embeddings to two dimensions (UMAP when
``umap-learn`` is installed and the library is big enough, else PCA) and
clusters them with ``ft.tasks.clusters`` (names cached). The result is plain data
(``IdeaMap``) for notebooks; ``ft.tasks.mapdraw`` draws it as offline HTML, PNG or
terminal text.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from index.labels import labels_by_item
from index.overview import map_rows

from .clusters import cluster_library

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["IdeaMap", "MapPoint", "build_map", "project"]


@dataclass
class MapPoint:
    id: int
    x: float
    y: float
    cluster: str
    label: str | None
    title: str
    author: str | None
    date: str | None
    url: str | None
    snippet: str
    size: float  # grows with the item's length


@dataclass
class IdeaMap:
    points: list[MapPoint]
    clusters: list[dict]  # name, description, size, x, y (the centre)
    projection: str

    def to_dict(self) -> dict:
        return {"projection": self.projection, "clusters": self.clusters, "points": [asdict(p) for p in self.points]}


def project(vectors: np.ndarray) -> tuple[np.ndarray, str]:
    """(N, 2) coordinates and the method: UMAP for 50+ items when installed, PCA otherwise."""
    if len(vectors) >= 50:
        try:
            import umap

            return umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine", random_state=0).fit_transform(vectors), "umap"
        except ImportError:
            pass
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=0).fit_transform(vectors), "pca"


def build_map(lib: Library, engine_factory, taxonomy: str = "topic") -> IdeaMap:
    found = cluster_library(lib, engine_factory)
    coords, method = project(found.vectors)
    rows = map_rows(lib.db)
    labels = labels_by_item(lib.db, taxonomy)
    names = {i: c.name for c in found.clusters for i in c.members}
    points = []
    for index, item_id in enumerate(found.ids):
        _, title, author, date, url, snippet, length = rows[item_id]
        points.append(MapPoint(item_id, float(coords[index, 0]), float(coords[index, 1]), names[index], labels.get(item_id),
                               title, author, date, url, " ".join(snippet.split()), 4 + 3 * math.log10(1 + length)))
    clusters = [{"name": c.name, "description": c.description, "size": len(c.members),
                 "x": float(coords[c.members, 0].mean()), "y": float(coords[c.members, 1].mean())} for c in found.clusters]
    return IdeaMap(points, clusters, method)
