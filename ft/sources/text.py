"""Plain text and Markdown notes: one item per file, titled by the first heading or line."""

from __future__ import annotations

import re
from collections.abc import Iterator

from index.records import Record

from .base import Input, first_line

NAME = "text"
MARKDOWN = "markdown"

_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
_MD_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}


def sniff(inp: Input) -> bool:
    """Any readable text: the importer of last resort."""
    return inp.is_text


def sniff_markdown(inp: Input) -> bool:
    """Markdown by suffix, or text that opens with an ATX heading."""
    return inp.is_text and (
        inp.path.suffix.lower() in _MD_SUFFIXES or inp.head_text.lstrip().startswith("# ")
    )


def parse(inp: Input) -> Iterator[Record]:
    yield _note(inp, first_line(inp.text))


def parse_markdown(inp: Input) -> Iterator[Record]:
    heading = _HEADING.search(inp.text)
    yield _note(inp, heading.group(1).strip() if heading else first_line(inp.text))


def _note(inp: Input, title: str) -> Record:
    return Record(
        source="notes",
        source_id=inp.identity,
        kind="note",
        title=title or inp.path.stem,
        text=inp.text.strip(),
        saved_at=inp.saved_at,
        meta={"file": inp.name},
    )
