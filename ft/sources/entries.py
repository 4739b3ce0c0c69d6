"""A plain text list of entries: links pasted with comments, a dated journal.

Such a file is many things saved, not one note, so each entry becomes an item with its own text,
links and line range, linked to the file's first entry as the posts of a dump are. An entry is
known by the file's shape, never guessed line by line:

- **dated**: lines that open with a date ("2026-11-02", "Nov 2, 2026", "02.11.2026") each start
  an entry, when at least ``MIN_ENTRIES`` do and the file opens with one (a journal), unless most
  also give the time to the second (a program's log, one note as before);
- **links in blocks**: blocks between blank lines, when most of them hold a link (a title, its
  link, a comment);
- **a link a line**: every line, when most lines hold a link ("URL — why it is worth reading").

Paragraphs of a note or an article have none of these shapes and stay one note; t.co links are
left to the dump importer (a post's link, not an entry). Ids come from the file, the entry's
first line number and its text, so importing the same file again changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ft.core.dates import parse_when
from index.records import Link, Record

from .base import PLAIN_TEXT_SUFFIXES, Input, digest, first_line

NAME = "entries"

MIN_ENTRIES = 3  # fewer are a note that happens to hold a date or two links
SHARE = 0.8      # of the blocks or lines that must hold a link for the file to be a list of links

_LINK = re.compile(r"https?://(?!t\.co/)[^\s)>\]]+")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    r"^\W{0,3}(?:"
    r"(?P<iso>\d{4}[-/]\d{2}[-/]\d{2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?"  # 2026-11-02, 2026-11-02 09:30
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}"  # 02.11.2026, 11/2/26
    rf"|(?:[a-z]+day,?\s+)?(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?(?:\s+\d{{4}})?"  # (Monday,) Nov 2(nd)(, 2026)
    rf"|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?)"  # 2 November (2026)
    r")(?!\w)", re.IGNORECASE)
_CLOCK = re.compile(r"\d{1,2}:\d{2}:\d{2}")


@dataclass
class Entry:
    """One entry: lines ``start`` (0-based) up to ``end`` of the file, and their text."""

    start: int
    end: int
    text: str


def sniff(inp: Input) -> bool:
    """A plain text file shaped as a list of entries (``entries`` finds some in its head)."""
    return inp.is_text and inp.path.suffix.lower() in PLAIN_TEXT_SUFFIXES and bool(entries(inp.head_text))


def entries(text: str) -> list[Entry]:
    """The entries of a list-shaped text, or none when it reads as one note."""
    lines = text.splitlines()
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        return []
    dated = [i for i in filled if _DATE.match(lines[i].strip())]
    logged = sum(bool(_CLOCK.search(lines[i][:40])) for i in dated)  # a log's lines: time to the second
    if len(dated) >= MIN_ENTRIES and dated[0] == filled[0] and logged <= len(dated) / 2:
        return _cut(lines, dated)
    blocks = _blocks(lines)
    if len(blocks) >= MIN_ENTRIES and _share(blocks, _LINK.search) >= SHARE:
        return blocks
    if len(filled) >= MIN_ENTRIES and _share(_cut(lines, filled), _LINK.search) >= SHARE:
        return _cut(lines, filled)
    return []


def _blocks(lines: list[str]) -> list[Entry]:
    """The runs of lines between blank lines."""
    return _cut(lines, [i for i, line in enumerate(lines) if line.strip() and (i == 0 or not lines[i - 1].strip())])


def _cut(lines: list[str], starts: list[int]) -> list[Entry]:
    """Entries from each start to the next, trailing blank lines left out."""
    out = []
    for start, following in zip(starts, [*starts[1:], len(lines)]):
        end = following
        while end > start and not lines[end - 1].strip():
            end -= 1
        out.append(Entry(start, end, "\n".join(lines[start:end]).strip()))
    return out


def _share(found: list[Entry], test: Callable[[str], object]) -> float:
    return sum(bool(test(e.text)) for e in found) / len(found)


def parse(inp: Input) -> Iterator[Record]:
    """One record per entry; a file forced here (``--as entries``) without a list's shape is cut
    at its blank lines, so nothing in it is dropped."""
    first = None
    for position, entry in enumerate(entries(inp.text) or _blocks(inp.text.splitlines())):
        links = list(dict.fromkeys(u.rstrip(".,;:") for u in _LINK.findall(entry.text)))
        date = _DATE.match(entry.text)
        source_id = f"{inp.identity}#{entry.start + 1}:{digest(entry.text)[:10]}"
        yield Record(
            source="notes",
            source_id=source_id,
            kind="link" if links and not date else "note",
            title=_title(entry.text, date) or (links[0] if links else ""),
            text=entry.text,
            url=links[0] if links else None,
            created_at=parse_when(date.group("iso").replace("/", "-")) if date and date.group("iso") else None,
            saved_at=inp.saved_at,
            meta={"file": inp.name, "position": position, "lines": [entry.start + 1, entry.end], "links": links},
            links=[Link("same_file", ("notes", first))] if first else [],
        )
        first = first or source_id


def _title(text: str, date: re.Match | None) -> str:
    """The entry's first line once its date and links are taken out (they are kept in its fields)."""
    rest = text[date.end():] if date else text
    return first_line(_LINK.sub("", rest).strip(" \t\n-–—:|·"))
