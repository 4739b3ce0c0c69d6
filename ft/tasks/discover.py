"""``ft classify --discover``: propose a taxonomy from the library's own clusters.

Each cluster of ``ft.tasks.clusters`` becomes a label: its name, its distinctive
words as the description, and its most central titles to show the user. The
result is in the JSON shape ``--taxonomy-file`` reads, to edit and accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.overview import item_openings

from .clusters import cluster_library

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["Proposal", "discover"]


@dataclass
class Proposal:
    name: str
    description: str
    size: int
    titles: list[str]


def discover(lib: Library, engine_factory, most: int = 10) -> list[Proposal]:
    found = cluster_library(lib, engine_factory, most)
    titles = dict((item_id, title) for item_id, title, _ in item_openings(lib.db, 0))
    proposals = [Proposal(c.name, c.description, len(c.members), [titles[found.ids[i]] for i in c.central[:5]])
                 for c in found.clusters]
    return sorted(proposals, key=lambda p: -p.size)
