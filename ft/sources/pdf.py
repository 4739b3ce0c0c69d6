"""PDF documents and papers: their text through pypdf, one item per file.

pypdf is pure Python (no system library to install) and well kept; layout
is lost but the words and their order, which search and models need, are not.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from pypdf import PdfReader

from ft.core.dates import iso
from ft.core.errors import FormatError
from index.records import Record

from .base import Input, first_line, printable

NAME = "pdf"

_ABSTRACT = re.compile(r"\babstract\b", re.IGNORECASE)


def sniff(inp: Input) -> bool:
    return inp.head.lstrip()[:5] == b"%PDF-"


def parse(inp: Input) -> Iterator[Record]:
    try:
        reader = PdfReader(io.BytesIO(inp.data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
        created = _created(reader)
    except Exception as exc:  # pypdf meets damaged files with any exception: NotImplementedError, RecursionError...
        raise FormatError(inp.name, f"not a readable PDF ({printable(str(exc))})") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise FormatError(inp.name, "PDF has no extractable text (scanned images?)")
    title = str(info.get("/Title") or "").strip() or first_line(text)
    author = str(info.get("/Author") or "").strip() or None
    yield Record(
        source="pdf",
        source_id=inp.identity,
        kind="paper" if _ABSTRACT.search(pages[0] if pages else "") else "document",
        title=title,
        text=text,
        author=author,
        created_at=created,
        saved_at=inp.saved_at,
        meta={"file": inp.name, "pages": len(pages)},
    )


def _created(reader: PdfReader) -> str | None:
    """The document's creation date from its metadata, as ISO 8601 UTC, if it has a valid one."""
    try:
        when = reader.metadata.creation_date if reader.metadata else None
    except (ValueError, TypeError):
        return None
    if when is None:
        return None
    return iso(when)
