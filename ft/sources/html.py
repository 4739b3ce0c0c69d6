"""Saved web pages: the readable text and metadata, through trafilatura.

trafilatura is the best-kept open extractor of main content (boilerplate,
menus and comments removed) and reads title, author, date and canonical URL
from the page's metadata.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ft.core.errors import FormatError
from index.records import Record

from .base import JSON_ERRORS, Input, first_line, map_strings

if TYPE_CHECKING:
    from trafilatura.settings import Document

NAME = "html"

_MARKERS = ("<!doctype html", "<html", "<head", "<body")
_META_CHARS = 2_000  # the longest string metadata extraction sees: see _metadata
# The link text themes put on an author's archive link, which trafilatura reads as the name.
_AUTHOR_LINK = re.compile(r"^(?:view (?:all )?(?:posts|articles|stories) by|(?:all )?posts by|written by|by)\s+", re.I)
_VALID_NAME = re.compile(r"[A-Za-z_][\w.-]*(:[A-Za-z_][\w.-]*)?")


def sniff(inp: Input) -> bool:
    head = inp.head_text[:2048].lower()
    return any(marker in head for marker in _MARKERS)


def parse(inp: Input) -> Iterator[Record]:
    # here, not with the module: every ft command imports the importers
    import trafilatura

    html = inp.text
    text = trafilatura.extract(html, include_comments=False, favor_recall=True) or trafilatura.html2txt(html)
    if not text or not text.strip():
        raise FormatError(inp.name, "HTML page has no readable text")
    meta = _metadata(html)
    url = meta.url if meta and meta.url else None
    yield Record(
        source="web",
        source_id=url or inp.identity,
        kind="page",
        title=(meta.title if meta and meta.title else "") or first_line(text),
        text=text.strip(),
        url=url,
        author=_author(meta.author) if meta and meta.author else None,
        created_at=meta.date if meta and meta.date else None,
        saved_at=inp.saved_at,
        meta={"file": inp.name, "site": meta.sitename if meta else None},
    )


def _author(name: str) -> str | None:
    """The author's names (trafilatura joins several with "; ") without an archive link's
    wording ("View all posts by Jane Roe")."""
    names = (_AUTHOR_LINK.sub("", part.strip()).strip() for part in name.split(";"))
    return "; ".join(n for n in names if n) or None


def _metadata(html: str) -> Document | None:
    """trafilatura's metadata of the page, read from a copy whose every text, attribute value and
    JSON-LD string is cut to ``_META_CHARS``: plenty for a title, an author or a date, and
    trafilatura cleans author names with regexes quadratic in a long run of punctuation
    (200,000 dashes in an author tag took five minutes)."""
    import trafilatura

    tree = trafilatura.load_html(html)
    if tree is None:
        return None
    for element in tree.iter():
        if element.text:
            json_ld = element.tag == "script" and element.get("type") == "application/ld+json"
            element.text = _cut_json(element.text) if json_ld else element.text[:_META_CHARS]
        if element.tail:
            element.tail = element.tail[:_META_CHARS]
        for key, value in element.attrib.items():
            if len(value) > _META_CHARS and _VALID_NAME.fullmatch(key):  # lxml cannot set a mangled name
                element.set(key, value[:_META_CHARS])
    return trafilatura.extract_metadata(tree)


def _cut_json(text: str) -> str:
    try:
        return json.dumps(map_strings(json.loads(text), lambda s: s[:_META_CHARS]), ensure_ascii=False)
    except JSON_ERRORS:
        return text[:_META_CHARS]
