"""PDF documents and papers: their text through pypdf, one item per file.

pypdf is pure Python (no system library to install) and well kept; layout
is lost but the words and their order, which search and models need, are not.
Its crypto extra reads the AES-encrypted PDFs that open without a password.
The text is NFKC-normalized, so the ligature glyphs of typeset papers ("ﬁ", "ﬄ") become
letters that search finds, and words hyphenated at a line end are joined again. pypdf's
warnings about damage it reads past are not the user's business: they are silenced.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ft.core.dates import iso
from ft.core.errors import FormatError
from index.records import Record

from .base import Input, first_line, printable

if TYPE_CHECKING:
    from pypdf import PdfReader

NAME = "pdf"

_ABSTRACT = re.compile(r"\babstract\b", re.IGNORECASE)
# A lowercase word broken by a hyphen at a line end: "effi-\ncient" -> "efficient".
_HYPHENATED = re.compile(r"(?<=[^\W\d_])-\n\s*(?=[^\W\d_A-Z])")
logging.getLogger("pypdf").setLevel(logging.ERROR)


def sniff(inp: Input) -> bool:
    return inp.head.lstrip()[:5] == b"%PDF-"


def parse(inp: Input) -> Iterator[Record]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pages, info, created = _read(inp.data)
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


def _read(data: bytes) -> tuple[list[str], dict, str | None]:
    """Each page's normalized text, the document info and its creation date."""
    # here, not with the module: every ft command imports the importers
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")
    pages = [_normalized(page.extract_text() or "") for page in reader.pages]
    return pages, reader.metadata or {}, _created(reader)


def _normalized(text: str) -> str:
    """Ligatures and other compatibility glyphs as plain letters; hyphenated line ends joined."""
    return _HYPHENATED.sub("", unicodedata.normalize("NFKC", text))


def _created(reader: PdfReader) -> str | None:
    """The document's creation date from its metadata, as ISO 8601 UTC, if it has a valid one."""
    try:
        when = reader.metadata.creation_date if reader.metadata else None
    except (ValueError, TypeError):
        return None
    if when is None:
        return None
    return iso(when)
