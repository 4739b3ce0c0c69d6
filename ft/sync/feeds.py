"""RSS and Atom feeds, followed incrementally.

A feed is an item of kind ``feed`` (from ``ft feeds add`` or an OPML import).
``sync_feeds`` asks each with the ETag and Last-Modified it answered last time,
so an unchanged feed costs one 304; new entries become items (``source="feed"``)
keyed by entry id, so an entry seen again changes nothing. The entries are read
by the feed importer (``ft.sources.feeds``), the same that reads a saved feed file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ft.core.errors import SourceError
from ft.core.report import Report
from ft.core.urls import canonical_url
from ft.sources.feeds import parse_feed
from index.records import Record
from index.store import feeds
from index.sync_state import load_state, save_state

from .fetch import Fetcher

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["add_feed", "parse_feed", "sync_feeds"]


def add_feed(lib: Library, url: str, title: str | None = None) -> None:
    lib.add(Record("feeds", canonical_url(url), f"{title or url}\n{url}", title=title or url, kind="feed", url=url))


def sync_feeds(lib: Library, fetcher: Fetcher) -> Report:
    """Store what each followed feed has new; a feed unchanged since last time (HTTP 304) is skipped."""
    report = Report("feeds")
    for _, title, url in feeds(lib.db):
        if url is None:
            continue
        report.inputs += 1
        key = f"feed:{canonical_url(url)}"
        _, state = load_state(lib.db, key) or (None, {})
        headers = {k: v for k, v in (("if-none-match", state.get("etag")), ("if-modified-since", state.get("modified"))) if v}
        try:
            got = fetcher.get(url, headers)
        except SourceError as exc:
            report.fail(str(exc))
            continue
        if got.status == 304:
            report.skipped += 1
            continue
        if got.status >= 400:
            report.fail(f"{url}: HTTP {got.status}")
            continue
        try:
            records = parse_feed(url, got.body, title)
        except SourceError as exc:
            report.fail(str(exc))
            continue
        report.count(lib.add(records))
        state = {"etag": got.headers.get("etag"), "modified": got.headers.get("last-modified")}
        save_state(lib.db, key, None, state)
    return report
