"""The numbers behind ``ft viz``: what the library holds, when it grew, what it is about."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np

from index.db import atomic

from ft.core.dates import iso, now_iso

__all__ = ["dashboard", "mark_opened", "timeline"]

_DOMAIN = re.compile(r"https?://(?:www\.)?([^/\s:?#]+)")


def mark_opened(lib, item_id: int) -> None:
    with atomic(lib.db):
        lib.db.execute("UPDATE items SET opened_at = ? WHERE id = ?", (now_iso(), item_id))


def timeline(lib, taxonomy: str = "topic") -> dict[str, dict[str, int]]:
    """{month: {label: items}}; items without a label in ``taxonomy`` count under their source."""
    rows = lib.db.execute(
        "SELECT substr(coalesce(i.created_at, i.saved_at), 1, 7), coalesce(l.label, i.source), count(*) FROM items i "
        "LEFT JOIN labels l ON l.item_id = i.id AND l.taxonomy = ? GROUP BY 1, 2", (taxonomy,)).fetchall()
    out: dict[str, dict[str, int]] = {}
    for month, label, n in rows:
        if month:
            out.setdefault(month, {})[label] = n
    return out


def dashboard(lib, top: int = 8) -> dict:
    """Every panel's numbers, JSON-ready."""
    db = lib.db
    stats = lib.stats()
    months = dict(db.execute("SELECT substr(coalesce(created_at, saved_at), 1, 7) m, count(*) FROM items "
                             "WHERE m IS NOT NULL GROUP BY m ORDER BY m").fetchall())
    authors = db.execute("SELECT author, count(*) FROM items WHERE author IS NOT NULL GROUP BY author "
                         "ORDER BY 2 DESC LIMIT ?", (top,)).fetchall()
    domains: Counter[str] = Counter()
    for url, meta, text in db.execute("SELECT url, meta, text FROM items"):
        for found in set(_DOMAIN.findall(" ".join(filter(None, [url, meta, text])))):  # an item counts a domain once
            domains[found.lower()] += 1
    recent = iso(datetime.now(UTC) - timedelta(days=30))
    active = db.execute("SELECT l.label, count(*) FROM labels l JOIN items i ON i.id = l.item_id "
                        "WHERE coalesce(i.created_at, i.saved_at) >= ? GROUP BY l.label ORDER BY 2 DESC LIMIT ?",
                        (recent, top)).fetchall()
    return {
        "items": stats.items, "by_source": stats.by_source, "by_kind": stats.by_kind, "by_label": stats.by_label,
        "by_month": months, "top_authors": dict(authors), "top_domains": dict(domains.most_common(top)),
        "papers_vs_posts": {"papers": stats.by_kind.get("paper", 0) + stats.by_kind.get("document", 0),
                            "posts": stats.by_kind.get("post", 0) + stats.by_kind.get("link", 0)},
        "recently_active_topics": dict(active), "forgotten_gems": forgotten_gems(lib, top),
    }


def forgotten_gems(lib, top: int = 5) -> list[dict]:
    """Old items never opened that sit at the centre of what you save (closest to the library's mean)."""
    rows = lib.db.execute("SELECT id, title, coalesce(created_at, saved_at) FROM items WHERE opened_at IS NULL "
                          "ORDER BY coalesce(created_at, saved_at) LIMIT 500").fetchall()
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
