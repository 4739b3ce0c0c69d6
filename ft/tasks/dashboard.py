"""The numbers behind ``ft viz``: what the library holds, when it grew, what it is about."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from ft.core.dates import iso
from index import overview

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["dashboard", "timeline"]

_DOMAIN = re.compile(r"https?://(?:www\.)?([^/\s:?#]+)")


def timeline(lib: Library, taxonomy: str = "topic") -> dict[str, dict[str, int]]:
    """{month: {label: items}}; items without a label in ``taxonomy`` count under their source."""
    out: dict[str, dict[str, int]] = {}
    for month, label, n in overview.month_label_counts(lib.db, taxonomy):
        if month:
            out.setdefault(month, {})[label] = n
    return out


def dashboard(lib: Library, top: int = 8) -> dict:
    """Every panel's numbers, JSON-ready."""
    db = lib.db
    stats = lib.stats()
    domains: Counter[str] = Counter()
    for url, meta, text in overview.url_fields(db):
        for found in set(_DOMAIN.findall(" ".join(filter(None, [url, meta, text])))):  # an item counts a domain once
            domains[found.lower()] += 1
    active = overview.active_labels(db, iso(datetime.now(UTC) - timedelta(days=30)), top)
    return {
        "items": stats.items, "by_source": stats.by_source, "by_kind": stats.by_kind, "by_label": stats.by_label,
        "by_month": overview.items_by_month(db), "top_authors": overview.top_authors(db, top), "top_domains": dict(domains.most_common(top)),
        "papers_vs_posts": {"papers": stats.by_kind.get("paper", 0) + stats.by_kind.get("document", 0),
                            "posts": stats.by_kind.get("post", 0) + stats.by_kind.get("link", 0)},
        "recently_active_topics": active, "forgotten_gems": forgotten_gems(lib, top),
    }


def forgotten_gems(lib: Library, top: int = 5) -> list[dict]:
    """Old items never opened that sit at the centre of what you save (closest to the library's mean)."""
    rows = overview.unopened(lib.db)
    if not rows or not lib.has_vectors():
        return [{"id": i, "title": t, "date": d} for i, t, d in rows[:top]]
    vectors = {i: lib.vectors.item_vector(i) for i, _, _ in rows}
    kept = [(i, t, d) for i, t, d in rows if vectors[i] is not None]
    if not kept:
        return []
    centre = lib.vectors.matrix.mean(axis=0)
    centrality = np.array([float(vectors[i] @ centre) for i, _, _ in kept])
    age = np.linspace(1.0, 0.5, len(kept))  # oldest first: older weighs more
    order = np.argsort(-(centrality * age))[:top]
    return [{"id": kept[k][0], "title": kept[k][1], "date": kept[k][2]} for k in order]
