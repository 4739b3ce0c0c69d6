"""OPML feed lists: each feed becomes an item of kind ``feed`` that ``ft sync feeds`` follows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from ft.core.urls import canonical_url
from index.records import Record, Skipped

from .base import Input

NAME = "opml"


def sniff(inp: Input) -> bool:
    return "<opml" in inp.head_text[:1000].lower()


def parse(inp: Input) -> Iterator[Record | Skipped]:
    try:
        root = ET.fromstring(inp.data)
    except ET.ParseError as exc:
        yield Skipped(inp.name, f"not well-formed OPML ({exc})")
        return
    for n, outline in enumerate(root.iter("outline")):
        url = outline.get("xmlUrl")
        if not url:
            continue
        if not url.startswith(("http://", "https://")):
            yield Skipped(f"{inp.name}:outline {n + 1}", f"feed URL is not http(s): {url[:60]!r}")
            continue
        title = outline.get("title") or outline.get("text") or url
        yield Record("feeds", canonical_url(url), f"{title}\n{url}", title=title, kind="feed", url=url,
                     meta={"site": outline.get("htmlUrl")})
