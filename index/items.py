"""Items as the library returns them, and the filters that select them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Filters", "Item", "item_from_row"]


@dataclass
class Item:
    """One stored item: a post, paper, page, transcript or note."""

    id: int
    source: str
    source_id: str
    kind: str
    title: str
    text: str
    url: str | None = None
    author: str | None = None
    created_at: str | None = None
    saved_at: str | None = None
    synced_at: str | None = None
    content_hash: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)

    @property
    def date(self) -> str | None:
        """When the item was written if known, else when it was saved."""
        return self.created_at or self.saved_at

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)


def item_from_row(row: sqlite3.Row | dict[str, Any]) -> Item:
    """Build an ``Item`` from an ``items`` row (extra columns are ignored)."""
    data = dict(row)
    labels = data.get("labels")
    return Item(
        id=data["id"],
        source=data["source"],
        source_id=data["source_id"],
        kind=data["kind"],
        title=data["title"],
        text=data["text"],
        url=data["url"],
        author=data["author"],
        created_at=data["created_at"],
        saved_at=data["saved_at"],
        synced_at=data["synced_at"],
        content_hash=data["content_hash"],
        meta=json.loads(data["meta"] or "{}"),
        labels=labels.split("\x1f") if labels else [],
    )


@dataclass
class Filters:
    """What to keep: every field that is set must match. Dates are ISO 8601 strings.

    ``since``/``until`` compare with the item's date (written, else saved);
    ``saved_since`` with when it was saved (a digest of what came in lately);
    ``ids`` restricts to a given set of items (a scope).
    """

    source: str | None = None
    author: str | None = None
    label: str | None = None
    kind: str | None = None
    since: str | None = None
    until: str | None = None
    saved_since: str | None = None
    ids: list[int] | None = None

    def where(self, alias: str = "items") -> tuple[str, list[Any]]:
        """The SQL condition (``1`` when nothing is set) and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.source:
            clauses.append(f"{alias}.source = ?")
            params.append(self.source)
        if self.author:
            clauses.append(f"lower({alias}.author) = lower(?)")
            params.append(self.author.lstrip("@"))
        if self.kind:
            clauses.append(f"{alias}.kind = ?")
            params.append(self.kind)
        if self.label:
            clauses.append(f"{alias}.id IN (SELECT item_id FROM labels WHERE label = ?)")
            params.append(self.label)
        if self.since:
            clauses.append(f"coalesce({alias}.created_at, {alias}.saved_at) >= ?")
            params.append(self.since)
        if self.until:
            clauses.append(f"coalesce({alias}.created_at, {alias}.saved_at) < ?")
            params.append(self.until)
        if self.saved_since:
            clauses.append(f"{alias}.saved_at >= ?")
            params.append(self.saved_since)
        if self.ids is not None:
            clauses.append(f"{alias}.id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(self.ids))
        return (" AND ".join(clauses) or "1"), params
