"""RSS and Atom feeds, followed incrementally.

A feed is an item of kind ``feed`` (from ``ft feeds add`` or an OPML import).
``sync_feeds`` asks each with the ETag and Last-Modified it answered last time,
so an unchanged feed costs one 304; new entries become items (``source="feed"``)
keyed by entry id, so an entry seen again changes nothing. feedparser reads
every RSS and Atom dialect in the wild; entry HTML becomes text through lxml.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import feedparser
from lxml.etree import ParserError
from lxml.html import fragment_fromstring

from ft.core.dates import iso
from ft.core.errors import FormatError, SourceError
from ft.core.report import Report
from ft.core.urls import canonical_url
from index.records import Record
from index.store import feeds
from index.sync_state import load_state, save_state

from .fetch import Fetcher

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["add_feed", "parse_feed", "sync_feeds"]


def add_feed(lib: Library, url: str, title: str | None = None) -> None:
    lib.add(Record("feeds", canonical_url(url), f"{title or url}\n{url}", title=title or url, kind="feed", url=url))


def _text(entry) -> str:
    """An entry's text: its content or summary, HTML fragments reduced to their words (lxml)."""
    html = (entry.get("content") or [{}])[0].get("value") or entry.get("summary") or ""
    if "<" not in html:
        return html.strip()
    try:
        return " ".join(fragment_fromstring(html, create_parent="div").text_content().split())
    except (ValueError, ParserError):
        return html.strip()


def _when(entry) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return iso(datetime(*parsed[:6], tzinfo=UTC)) if parsed else None


def parse_feed(url: str, body: bytes, title: str | None = None) -> list[Record]:
    """The entries of one fetched feed as records; a ``FormatError`` naming ``url`` if it is no feed.

    The body goes in as a stream: given bytes, feedparser would first try them as a local
    file name, so a server answering ``/etc/passwd`` would have that file read.
    """
    try:
        parsed = feedparser.parse(io.BytesIO(body))
    except ValueError as exc:  # feedparser's own slip on a character reference past U+10FFFF, like &#x110000;
        raise FormatError(url, f"not an RSS or Atom feed ({type(exc).__name__})") from exc
    if parsed.bozo and not parsed.entries:
        raise FormatError(url, f"not an RSS or Atom feed ({type(parsed.bozo_exception).__name__})")
    records = []
    for entry in parsed.entries:
        link = entry.get("link")
        entry_id = entry.get("id") or link or entry.get("title")
        text = _text(entry)
        if not entry_id or not (text or entry.get("title")):
            continue
        records.append(Record("feed", str(entry_id), text or entry.get("title", ""), title=entry.get("title") or link,
                              kind="post", url=canonical_url(link) if link else None, author=entry.get("author"),
                              created_at=_when(entry), meta={"feed": url, "feed_title": parsed.feed.get("title") or title}))
    return records


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
