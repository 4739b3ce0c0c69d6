"""OPML feed lists: each feed becomes an item of kind ``feed`` that ``ft sync feeds`` follows.

A feed's categories are its ``category`` attribute (comma-separated, often ``/a/b`` paths)
and the outlines it is nested in, the folders of the reader that exported it. A feed URL
written without a scheme (``example.org/feed.xml``, as some readers export) is taken as https.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from ft.core.urls import canonical_url
from index.records import Record, Skipped

from .base import Input

NAME = "opml"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")  # "javascript:" is one; "host:8080/feed" is not
_MAX_FOLDERS = 10  # readers nest folders a level or two; a hostile file nests thousands deep


def sniff(inp: Input) -> bool:
    return "<opml" in inp.head_text[:1000].lower()


def parse(inp: Input) -> Iterator[Record | Skipped]:
    try:
        root = ET.fromstring(inp.data)
    except ET.ParseError as exc:
        yield Skipped(inp.name, f"not well-formed OPML ({exc})")
        return
    for n, (outline, folders) in enumerate(_outlines(root, [])):
        url = (outline.get("xmlUrl") or "").strip()
        if not url:
            continue
        if not _SCHEME.match(url):
            url = f"https://{url.lstrip('/')}"
        if not url.startswith(("http://", "https://")):
            yield Skipped(f"{inp.name}:outline {n + 1}", f"feed URL is not http(s): {url[:60]!r}")
            continue
        title = outline.get("title") or outline.get("text") or url
        tagged = [c.strip().strip("/") for c in (outline.get("category") or "").split(",")]
        categories = list(dict.fromkeys(c for c in [*folders, *tagged] if c))
        yield Record("feeds", canonical_url(url), f"{title}\n{url}", title=title, kind="feed", url=url,
                     meta={"site": outline.get("htmlUrl"), **({"categories": categories} if categories else {})})


def _outlines(root: ET.Element, folders: list[str]) -> Iterator[tuple[ET.Element, list[str]]]:
    """Every outline under ``root`` in document order, with the titles of the outlines it is in.
    Walked with a stack, not recursion: a hostile file nests thousands deep."""
    stack = [(child, folders) for child in reversed(root)]
    while stack:
        element, path = stack.pop()
        inner = path
        if element.tag == "outline":
            yield element, path
            name = element.get("title") or element.get("text") or ""
            inner = [*path, name][:_MAX_FOLDERS] if name and not element.get("xmlUrl") else path
        stack.extend((child, inner) for child in reversed(element))
