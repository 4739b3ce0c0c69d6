"""A blog's category or link-roundup page captured as text.

Entries are top-level bullets (``  • Heading``); each entry's body is the
indented block under it: usually the linked title, then commentary with
footnotes and nested bullets. One item per entry, titled by its heading.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator

from index.records import Record

from .base import Input, paragraphs, shorten, slug

NAME = "blog"

_BULLET = re.compile(r"^(?P<indent>[ \t]*)[•●▪◦] (?P<heading>\S.*)$")
_CATEGORY = re.compile(r"^(category|tag|archive)s?:\s*(?P<name>.+)$", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s)>\]]+")


def sniff(inp: Input) -> bool:
    """At least three bullets at the outermost level, each with an indented body."""
    if not inp.is_text:
        return False
    return len(_entries(inp.head_text.splitlines())) >= 3


def parse(inp: Input) -> Iterator[Record]:
    lines = inp.text.splitlines()
    category = next((m.group("name").strip() for m in map(_CATEGORY.match, lines[:5]) if m), "")
    page = category or next((line.strip() for line in lines if line.strip()), inp.path.stem)
    for position, (heading, body_lines) in enumerate(_entries(lines)):
        body = textwrap.dedent("\n".join(body_lines)).strip()
        blocks = paragraphs(body)
        linked = blocks[0] if blocks and len(blocks[0]) <= 200 and "\n" not in blocks[0] else None
        urls = _URL.findall(body)
        yield Record(
            source="blog",
            source_id=f"{slug(page)}:{slug(heading)}",
            kind="link",
            title=shorten(heading, 200),
            text=body or heading,
            url=urls[0].rstrip(".,;") if urls else None,
            saved_at=inp.saved_at,
            meta={
                "page": page,
                "category": category or None,
                "linked_title": linked,
                "urls": [u.rstrip(".,;") for u in urls],
                "position": position,
                "file": inp.name,
            },
        )


def _entries(lines: list[str]) -> list[tuple[str, list[str]]]:
    """(heading, body lines) for each bullet at the outermost bullet indent."""
    indents = [len(m.group("indent").expandtabs(4)) for m in map(_BULLET.match, lines) if m]
    if not indents:
        return []
    top = min(indents)
    entries: list[tuple[str, list[str]]] = []
    for line in lines:
        match = _BULLET.match(line)
        if match and len(match.group("indent").expandtabs(4)) == top:
            entries.append((match.group("heading").strip(), []))
        elif entries:
            entries[-1][1].append(line)
    # An entry's body must be indented under it; a flat list of bullets is not a roundup.
    return [
        (heading, body)
        for heading, body in entries
        if any(line.strip() for line in body)
        and all(not line.strip() or _indent(line) > top for line in body)
    ]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
