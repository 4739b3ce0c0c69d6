"""ft's own item JSON: a list of items, ``{"items": [...]}`` (what ``ft list --json``
prints), or JSON Lines with one item per line.

Each item needs ``text`` or ``title``; every other field of an ``Item`` is
optional. This is the format for scripts that feed ft, and how a listing
from one library is imported into another.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ft.errors import FormatError
from index.records import Record, Skipped

from .base import Input, digest, first_line

NAME = "json"

_FIELDS = ("kind", "url", "author", "created_at", "saved_at")


def sniff(inp: Input) -> bool:
    return inp.head_text.lstrip()[:1] in ("{", "[")


def parse(inp: Input) -> Iterator[Record | Skipped]:
    text = inp.text
    if _is_json_lines(text):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            where = f"{inp.name}:{number}"
            try:
                yield _record(json.loads(line), where)
            except json.JSONDecodeError as exc:
                yield Skipped(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
            except FormatError as exc:
                yield Skipped(where, exc.why)
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " — the file looks truncated" if exc.pos >= len(text.rstrip()) else ""
        raise FormatError(inp.name, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}{hint}") from exc
    entries = data.get("items") if isinstance(data, dict) else data
    if isinstance(data, dict) and entries is None and ("text" in data or "title" in data):
        entries = [data]
    if not isinstance(entries, list):
        raise FormatError(inp.name, "JSON is not a list of items (expected [...] or {\"items\": [...]})")
    for number, entry in enumerate(entries):
        where = f"{inp.name}[{number}]"
        try:
            yield _record(entry, where)
        except FormatError as exc:
            yield Skipped(where, exc.why)


def _is_json_lines(text: str) -> bool:
    """Several lines, the first of which is a whole JSON object."""
    first, _, rest = text.strip().partition("\n")
    if not rest.strip() or not first.strip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _record(entry: Any, where: str) -> Record:
    if not isinstance(entry, dict):
        raise FormatError(where, f"item is a {type(entry).__name__}, not an object")
    text = entry.get("text") or ""
    title = entry.get("title") or ""
    if not isinstance(text, str) or not isinstance(title, str):
        raise FormatError(where, "'text' and 'title' must be strings")
    if not text.strip() and not title.strip():
        raise FormatError(where, "item has neither 'text' nor 'title'")
    source = str(entry.get("source") or "json")
    source_id = entry.get("source_id") or entry.get("url") or entry.get("id") or digest(title + "\n" + text)
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    return Record(
        source=source,
        source_id=str(source_id),
        text=text or title,
        title=title or first_line(text),
        meta=meta,
        **{k: (str(entry[k]) if entry.get(k) is not None else None) for k in _FIELDS if k != "kind"},
        kind=str(entry.get("kind") or "note"),
    )
