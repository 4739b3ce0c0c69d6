"""Whole-library reads for the dashboard, the timeline, the map and topic finding."""

from __future__ import annotations

from collections.abc import Iterator

import sqlite_utils

from ft.core.dates import now_iso

from .db import atomic

__all__ = ["active_labels", "data_version", "item_openings", "items_by_month", "map_rows", "mark_opened",
           "month_label_counts", "top_authors", "unopened", "url_fields"]

_WHEN = "coalesce(created_at, saved_at)"  # an item's date: when it was made, else when it was saved


def mark_opened(db: sqlite_utils.Database, item_id: int) -> None:
    """Note that the user looked at an item (``ft show``, the TUI): it is no forgotten gem."""
    with atomic(db):
        db.execute("UPDATE items SET opened_at = ? WHERE id = ?", (now_iso(), item_id))


def data_version(db: sqlite_utils.Database) -> int:
    """A number that changes when another connection commits: the TUI's cue to refresh."""
    return db.execute("PRAGMA data_version").fetchone()[0]


def month_label_counts(db: sqlite_utils.Database, taxonomy: str) -> list[tuple[str | None, str, int]]:
    """``(YYYY-MM, label or else source, items)``."""
    return db.execute(
        "SELECT substr(coalesce(i.created_at, i.saved_at), 1, 7), coalesce(l.label, i.source), count(*) FROM items i "
        "LEFT JOIN labels l ON l.item_id = i.id AND l.taxonomy = ? GROUP BY 1, 2", (taxonomy,)).fetchall()


def items_by_month(db: sqlite_utils.Database) -> dict[str, int]:
    return dict(db.execute(f"SELECT substr({_WHEN}, 1, 7) m, count(*) FROM items "
                           "WHERE m IS NOT NULL GROUP BY m ORDER BY m").fetchall())


def top_authors(db: sqlite_utils.Database, top: int) -> dict[str, int]:
    return dict(db.execute("SELECT author, count(*) FROM items WHERE author IS NOT NULL GROUP BY author "
                           "ORDER BY 2 DESC LIMIT ?", (top,)).fetchall())


def url_fields(db: sqlite_utils.Database) -> Iterator[tuple[str | None, str | None, str]]:
    """``(url, meta, text)`` of every item: where the links it mentions are."""
    yield from db.execute("SELECT url, meta, text FROM items")


def active_labels(db: sqlite_utils.Database, since: str, top: int) -> dict[str, int]:
    """The labels most used by items dated ``since`` or later."""
    return dict(db.execute("SELECT l.label, count(*) FROM labels l JOIN items i ON i.id = l.item_id "
                           "WHERE coalesce(i.created_at, i.saved_at) >= ? GROUP BY l.label ORDER BY 2 DESC LIMIT ?",
                           (since, top)).fetchall())


def unopened(db: sqlite_utils.Database, limit: int = 500) -> list[tuple[int, str, str | None]]:
    """``(id, title, date)`` of the oldest items never opened."""
    return db.execute(f"SELECT id, title, {_WHEN} FROM items WHERE opened_at IS NULL "
                      f"ORDER BY {_WHEN} LIMIT ?", (limit,)).fetchall()


def item_openings(db: sqlite_utils.Database, chars: int = 2000) -> list[tuple[int, str, str]]:
    """``(id, title, first chars of text)`` of every item, by id: what clustering reads."""
    return db.execute("SELECT id, title, substr(text, 1, ?) FROM items ORDER BY id", (chars,)).fetchall()


def map_rows(db: sqlite_utils.Database) -> dict[int, tuple]:
    """Per item id: ``(id, title, author, date, url, first 240 chars, length)``, what a map point shows."""
    return {r[0]: r for r in db.execute(
        f"SELECT id, title, author, {_WHEN}, url, substr(text, 1, 240), length(text) FROM items")}
