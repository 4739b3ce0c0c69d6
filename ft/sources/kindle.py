"""Kindle's ``My Clippings.txt``: one item per highlight or note, under its book.

The Kindle appends every highlight, note and bookmark to one file, each clipping ended by a line
of ten ``=``: the book's title with its author in parentheses, a line saying what the clipping is
and where ("- Your Highlight on page 12 | Location 180-182 | Added on Monday, 3 June 2024
10:15:22"), a blank line, and the text. Bookmarks have no text and are left out. A highlight
made again (the Kindle appends it once more) has the same book, place and text, so the same id:
importing the file again, or a longer copy of it, adds only what is new.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from ft.core.dates import iso
from index.records import Record

from .base import Input, digest, shorten

NAME = "kindle"

_END = "=========="
_AUTHOR = re.compile(r"^(?P<title>.*)\((?P<author>[^()]*)\)\s*$")
HEADER_CHARS = 500  # a title or a place line is short; a longer one is cut before it is read
_KIND = re.compile(r"\b(highlight|note|bookmark)\b", re.IGNORECASE)
_PAGE = re.compile(r"\bpage\s+(\S+?)(?:\s*\||$)", re.IGNORECASE)
_LOCATION = re.compile(r"\blocation\s+([\d-]+)", re.IGNORECASE)
_ADDED = re.compile(r"\badded on\s+(.+)$", re.IGNORECASE)
# How Kindles write the date: English (UK, then US) with a weekday.
_DATES = ("%A, %d %B %Y %H:%M:%S", "%A, %B %d, %Y %I:%M:%S %p", "%A, %d %B %Y %I:%M:%S %p", "%A, %B %d, %Y %H:%M:%S")


def sniff(inp: Input) -> bool:
    """Clippings: a line of ten ``=`` ends the first, whose second line starts with "- "."""
    lines = inp.head_text.lstrip().splitlines()
    return len(lines) > 2 and lines[1].startswith("- ") and _END in (line.strip() for line in lines)


def parse(inp: Input) -> Iterator[Record]:
    for position, clipping in enumerate(inp.text.split(_END)):
        lines = clipping.strip().splitlines()
        if len(lines) < 2:
            continue
        text = "\n".join(lines[2:]).strip()
        book, place = lines[0].strip().lstrip("\ufeff")[:HEADER_CHARS], lines[1][:HEADER_CHARS]
        kind = _KIND.search(place)
        if not text or (kind and kind.group(1).lower() == "bookmark"):
            continue
        named = _AUTHOR.match(book)
        page, location, added = _PAGE.search(place), _LOCATION.search(place), _ADDED.search(place)
        yield Record(
            source="kindle",
            source_id=f"{digest(book)[:10]}:{location.group(1) if location else position}:{digest(text)[:10]}",
            kind=kind.group(1).lower() if kind else "highlight",
            title=shorten(text, 120),
            text=text,
            author=named.group("author").strip() if named else None,
            created_at=_date(added.group(1)) if added else None,
            saved_at=inp.saved_at,
            meta={"book": named.group("title").strip() if named else book, "page": page.group(1) if page else None,
                  "location": location.group(1) if location else None, "file": inp.name},
        )


def _date(written: str) -> str | None:
    """The clipping's date as ft stores dates, or none when the Kindle wrote it another way."""
    for layout in _DATES:
        try:
            return iso(datetime.strptime(written.strip(), layout))
        except ValueError:
            continue
    return None
