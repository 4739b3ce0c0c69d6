"""Saved web pages: the readable text and metadata, through trafilatura.

trafilatura is the best-kept open extractor of main content (boilerplate,
menus and comments removed) and reads title, author, date and canonical URL
from the page's metadata.
"""

from __future__ import annotations

from collections.abc import Iterator

import trafilatura

from ft.errors import FormatError
from index.records import Record

from .base import Input, first_line

NAME = "html"

_MARKERS = ("<!doctype html", "<html", "<head", "<body")


def sniff(inp: Input) -> bool:
    head = inp.head_text[:2048].lower()
    return any(marker in head for marker in _MARKERS)


def parse(inp: Input) -> Iterator[Record]:
    html = inp.text
    text = trafilatura.extract(html, include_comments=False, favor_recall=True) or trafilatura.html2txt(html)
    if not text or not text.strip():
        raise FormatError(inp.name, "HTML page has no readable text")
    meta = trafilatura.extract_metadata(html)
    url = meta.url if meta and meta.url else None
    yield Record(
        source="web",
        source_id=url or inp.identity,
        kind="page",
        title=(meta.title if meta and meta.title else "") or first_line(text),
        text=text.strip(),
        url=url,
        author=meta.author if meta and meta.author else None,
        created_at=meta.date if meta and meta.date else None,
        saved_at=inp.saved_at,
        meta={"file": inp.name, "site": meta.sitename if meta else None},
    )
