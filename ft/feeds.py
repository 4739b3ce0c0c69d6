"""RSS and Atom feeds, followed incrementally.

A feed is an item of kind ``feed`` (from ``ft feeds add`` or an OPML import).
``sync_feeds`` asks each with the ETag and Last-Modified it answered last time,
so an unchanged feed costs one 304; new entries become items (``source="feed"``)
keyed by entry id, so an entry seen again changes nothing. The entries are read
by the feed importer (``ft.sources.feeds``), the same that reads a saved feed file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from index.db import atomic
from index.records import Record
from index.store import now_iso

from .errors import SourceError
from .fetch import Fetcher
from .sources.feeds import parse_feed
from .urls import canonical_url

__all__ = ["FeedReport", "add_feed", "parse_feed", "sync_feeds"]


@dataclass
class FeedReport:
    feeds: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: int = 0
    problems: list[str] = field(default_factory=list)


def add_feed(lib, url: str, title: str | None = None) -> None:
    lib.add(Record("feeds", canonical_url(url), f"{title or url}\n{url}", title=title or url, kind="feed", url=url))


def sync_feeds(lib, fetcher: Fetcher) -> FeedReport:
    report = FeedReport()
    feeds = lib.db.execute("SELECT url, title FROM items WHERE kind = 'feed' AND url IS NOT NULL").fetchall()
    for url, title in feeds:
        report.feeds += 1
        key = f"feed:{canonical_url(url)}"
        row = lib.db.execute("SELECT state FROM sync_state WHERE source = ?", (key,)).fetchone()
        state = json.loads(row[0]) if row and row[0] else {}
        headers = {k: v for k, v in (("if-none-match", state.get("etag")), ("if-modified-since", state.get("modified"))) if v}
        try:
            got = fetcher.get(url, headers)
        except SourceError as exc:
            report.problems.append(str(exc))
            continue
        if got.status == 304:
            report.not_modified += 1
            continue
        if got.status >= 400:
            report.problems.append(f"{url}: HTTP {got.status}")
            continue
        try:
            records = parse_feed(url, got.body, title)
        except SourceError as exc:
            report.problems.append(str(exc))
            continue
        result = lib.add(records)
        report.new += result.added
        report.updated += result.updated
        report.unchanged += result.unchanged
        state = {"etag": got.headers.get("etag"), "modified": got.headers.get("last-modified")}
        with atomic(lib.db):
            lib.db.execute("INSERT OR REPLACE INTO sync_state (source, cursor, state, updated_at) VALUES (?, NULL, ?, ?)",
                           (key, json.dumps(state), now_iso()))
    return report
