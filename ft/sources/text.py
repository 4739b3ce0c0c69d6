"""Plain text and Markdown notes: one item per file, titled by the first heading or line.

A Markdown file's YAML front matter (Jekyll, Hugo, Obsidian) is read with python-frontmatter
(safe YAML loading) and kept out of the body: its title, author, date and tags go to the item.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import frontmatter

from index.records import Record

from .base import Input, first_line

NAME = "text"
MARKDOWN = "markdown"

_HEADING = re.compile(r"^#{1,6}\s+(.+)$|<h1\b[^<>]*>([^<>]{1,500})</h1>", re.MULTILINE | re.IGNORECASE)
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
    yield _note(inp, inp.text, first_line(inp.text))


def parse_markdown(inp: Input) -> Iterator[Record]:
    fields, body = _front_matter(inp.text)
    heading = _HEADING.search(body)
    found = html.unescape(heading.group(1) or heading.group(2)).strip() if heading else ""
    title = _scalar(fields.get("title")) or found or first_line(body)
    tags = fields.get("tags")
    meta = {
        "author": _scalar(fields.get("author")),
        "date": _scalar(fields.get("date")),
        "tags": [str(t) for t in tags if isinstance(t, (str, int, float))] if isinstance(tags, list) else None,
    }
    yield _note(inp, body, title, author=meta.pop("author"), meta={k: v for k, v in meta.items() if v})


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(fields, body) of a Markdown text; front matter that is not valid YAML stays in the body."""
    if not text.startswith("---"):
        return {}, text
    try:
        post = frontmatter.loads(text)
    except Exception:  # yaml's errors, and a field that is not a mapping: the text as written is kept
        return {}, text
    return (post.metadata if isinstance(post.metadata, dict) else {}), post.content


def _scalar(value: object) -> str | None:
    """A front-matter field as one line of text, if it is a plain value (a date reads as ISO)."""
    if value is None or isinstance(value, (list, dict)):
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return " ".join(text.split())[:300] or None


def _note(inp: Input, text: str, title: str, author: str | None = None, meta: dict | None = None) -> Record:
    return Record(
        source="notes",
        source_id=inp.identity,
        kind="note",
        title=title or inp.path.stem,
        text=text.strip(),
        author=author,
        saved_at=inp.saved_at,
        meta={"file": inp.name, **(meta or {})},
    )
