"""RSS and Atom: a feed's entries as records, from a saved file or a fetched body.

feedparser reads every RSS and Atom dialect in the wild; entry HTML becomes text through
lxml. Entries are keyed by their id (``source="feed"``), so an entry imported from a saved
file and seen again by ``ft sync feeds`` is one item. An arXiv API response is Atom too:
its entries become papers keyed like ``ft add arxiv:ID``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lxml.etree import ParserError
from lxml.html import fragment_fromstring

from ft.core.dates import iso
from ft.core.errors import FormatError
from ft.core.urls import arxiv_id, canonical_url
from index.records import Record

from .base import Input

if TYPE_CHECKING:
    import feedparser

__all__ = ["NAME", "parse", "parse_feed", "sniff"]

NAME = "rss"

# The document's root element, after an XML declaration, comments and processing instructions.
_ROOT = re.compile(r"\A\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.DOTALL)


def sniff(inp: Input) -> bool:
    return bool(_ROOT.match(inp.head_text[:4000]))


def parse(inp: Input) -> Iterator[Record]:
    parsed = _read(inp.name, inp.data)
    self_link = next((link.get("href") for link in parsed.feed.get("links", []) if link.get("rel") == "self"), None)
    yield from _records(parsed, self_link or parsed.feed.get("link") or inp.name, None)


def parse_feed(url: str, body: bytes, title: str | None = None) -> list[Record]:
    """The entries of one fetched feed as records; a ``FormatError`` naming ``url`` if it is no feed."""
    return _records(_read(url, body), url, title)


def _read(where: str, body: bytes) -> feedparser.FeedParserDict:
    """The parsed feed. The body goes in as a stream: given bytes, feedparser would first try
    them as a local file name, so a server answering ``/etc/passwd`` would have that file read."""
    # here, not with the module: every ft command imports the importers
    import feedparser

    try:
        parsed = feedparser.parse(io.BytesIO(body))
    except ValueError as exc:  # feedparser's own slip on a character reference past U+10FFFF, like &#x110000;
        raise FormatError(where, f"not an RSS or Atom feed ({type(exc).__name__})") from exc
    if parsed.bozo and not parsed.entries:
        raise FormatError(where, f"not an RSS or Atom feed ({type(parsed.bozo_exception).__name__})")
    return parsed


def _records(parsed: feedparser.FeedParserDict, feed: str, title: str | None) -> list[Record]:
    records = []
    for entry in parsed.entries:
        link = entry.get("link")
        entry_id = entry.get("id") or link or entry.get("title")
        text = _text(entry)
        if not entry_id or not (text or entry.get("title")):
            continue
        paper = arxiv_id(str(entry_id)) if "arxiv.org/abs/" in str(entry_id) else None
        if paper:
            records.append(_paper(entry, paper, text))
            continue
        records.append(Record("feed", str(entry_id), text or entry.get("title", ""), title=entry.get("title") or link,
                              kind="post", url=canonical_url(link) if link else None, author=entry.get("author"), created_at=_when(entry),
                              meta={"feed": feed, "feed_title": parsed.feed.get("title") or title}))
    return records


def _paper(entry: feedparser.FeedParserDict, paper: str, abstract: str) -> Record:
    """An arXiv API entry as the paper ``ft add arxiv:ID`` would store (without the PDF's text)."""
    authors = [str(a.get("name")) for a in entry.get("authors", []) if a.get("name")]
    abstract = " ".join(abstract.split())
    return Record("arxiv", paper, abstract or entry.get("title", ""), title=" ".join(entry.get("title", "").split()),
                  kind="paper", url=f"https://arxiv.org/abs/{paper}", author=", ".join(authors) or None,
                  created_at=_when(entry), meta={"authors": authors, "abstract": abstract})


def _text(entry: feedparser.FeedParserDict) -> str:
    """An entry's text: its content or summary, HTML fragments reduced to their words (lxml)."""
    html = (entry.get("content") or [{}])[0].get("value") or entry.get("summary") or ""
    if "<" not in html:
        return html.strip()
    try:
        return " ".join(fragment_fromstring(html, create_parent="div").text_content().split())
    except (ValueError, ParserError):
        return html.strip()


def _when(entry: feedparser.FeedParserDict) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    try:
        return iso(datetime(*parsed[:6], tzinfo=UTC)) if parsed else None
    except ValueError:  # a date feedparser parsed but no calendar has (year -1)
        return None
