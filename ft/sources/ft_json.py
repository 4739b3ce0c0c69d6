"""ft's own item JSON: a list of items, ``{"items": [...]}`` (what ``ft list --json``
prints), or JSON Lines with one item per line.

Each item needs ``text`` or ``title``; every other field of an ``Item`` is
optional. This is the format for scripts that feed ft, and how a listing
from one library is imported into another.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ft.core.errors import FormatError
from index.records import Record, Skipped

from .base import JSON_ERRORS, Input, digest, first_line, json_problem, json_value, load_json

NAME = "json"

_FIELDS = ("kind", "url", "author", "created_at", "saved_at")
_OPENING = re.compile(r'\s*(?:\{\s*(?:"|\}|$)|\[\s*(?:\{|\]|$))')


def sniff(inp: Input) -> bool:
    """A ``.json``/``.jsonl`` file that opens with a bracket (broken JSON is reported as such), or
    any file that opens as an object or a list of objects: a text that merely opens with a bracket
    ("[00:04] so today", "[12/03/2026, 10:15] Ana: hi") is not JSON."""
    head = inp.head_text.lstrip()
    if inp.path.suffix.lower() in (".json", ".jsonl", ".ndjson"):
        return head[:1] in ("{", "[")
    return bool(_OPENING.match(head))


def parse(inp: Input) -> Iterator[Record | Skipped]:
    if _is_json_lines(inp):
        yield from _parse_lines(inp)
        return
    data = load_json(inp)
    entries = data.get("items") if isinstance(data, dict) else data
    if isinstance(data, dict) and entries is None and ("text" in data or "title" in data):
        entries = [data]
    if not isinstance(entries, list):
        raise FormatError(inp.name, "JSON is not a list of items (expected [...] or {\"items\": [...]})")
    for number, entry in enumerate(entries):
        yield _record_or_skip(entry, f"{inp.name}[{number}]")


def _is_json_lines(inp: Input) -> bool:
    """Several lines, the first of which is a whole JSON object."""
    first, _, rest = inp.head_text.strip().partition("\n")
    if not rest.strip() or not first.strip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except JSON_ERRORS:
        return False


def json_lines(path: Path) -> Iterator[tuple[str, Any]]:
    """``(path:line, object)`` for each non-blank line, streamed so memory stays flat;
    a line that is not JSON comes as ``(path:line, Skipped)``."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                yield where, json_value(line)
            except json.JSONDecodeError as exc:
                yield where, Skipped(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
            except JSON_ERRORS as exc:
                yield where, Skipped(where, f"invalid JSON ({json_problem(exc)})")


def _parse_lines(inp: Input) -> Iterator[Record | Skipped]:
    for where, entry in json_lines(inp.path):
        yield entry if isinstance(entry, Skipped) else _record_or_skip(entry, where)


def _record_or_skip(entry: Any, where: str) -> Record | Skipped:
    try:
        return _record(entry, where)
    except FormatError as exc:
        return Skipped(where, exc.why)


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
