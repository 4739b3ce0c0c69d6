"""What every importer shares: the input being read, and small text helpers.

An importer is a module with ``NAME``, ``sniff(inp) -> bool`` (does this
content look like mine?) and ``parse(inp)``, which yields ``Record``s and, for
parts it cannot read, ``Skipped`` notes. Detection is by content, never by the
file name alone, so a transcript saved as ``.txt`` is still a transcript.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import charset_normalizer

from ft.core.dates import iso
from ft.core.errors import FormatError

__all__ = ["JSON_ERRORS", "PLAIN_TEXT_SUFFIXES", "Input", "digest", "first_line", "json_problem", "json_value",
           "load_json", "map_strings", "paragraphs", "printable", "slug"]

HEAD_BYTES = 64 * 1024
# Files whose shape may say they hold many things (posts, entries): not Markdown, code, CSV or
# logs, which are documents whatever their lines look like.
PLAIN_TEXT_SUFFIXES = frozenset({".txt", ""})
# Byte-order marks, longest first: UTF-32's little-endian mark begins with UTF-16's.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_CP1252_MARGIN = 0.1  # how much more "chaos" (charset-normalizer's mess ratio) Windows-1252 may show and still win


@dataclass
class Input:
    """One file being imported, read lazily: ``head`` for sniffing, ``text`` for parsing."""

    path: Path
    embed: Callable[[list[str]], Any] | None = None  # the library's embedder, for formats that split by meaning

    @cached_property
    def data(self) -> bytes:
        return self.path.read_bytes()

    @cached_property
    def head(self) -> bytes:
        with self.path.open("rb") as f:
            return f.read(HEAD_BYTES)

    @cached_property
    def encoding(self) -> str | None:
        """The text encoding of the file, or ``None`` when it is binary.

        A byte-order mark decides first (UTF-16 subtitles from Windows tools carry one, and
        their NUL bytes would otherwise read as binary), then UTF-8, then charset detection
        (charset-normalizer) for the legacy code pages old tools still write, Windows-1252 most.
        """
        for bom, codec in _BOMS:
            if self.head.startswith(bom):
                return codec
        if b"\x00" in self.head:
            return None
        try:
            self.head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the head's end is still text.
            if exc.start >= len(self.head) - 3 and len(self.head) == HEAD_BYTES:
                return "utf-8"
            return _legacy_encoding(self.head)
        return "utf-8"

    @cached_property
    def is_text(self) -> bool:
        """True when the head decodes as text in an encoding ft recognises."""
        return self.encoding is not None

    @cached_property
    def head_text(self) -> str:
        return self.head.decode(self.encoding, errors="ignore").lstrip("\ufeff") if self.encoding else ""

    @cached_property
    def text(self) -> str:
        """The whole file as text; a ``FormatError`` if it is not text in its detected encoding."""
        if self.encoding is None:
            raise FormatError(str(self.path), "not a text file (binary content)")
        try:
            return self.data.decode(self.encoding).lstrip("\ufeff").replace("\r\n", "\n")
        except UnicodeDecodeError as exc:
            raise FormatError(str(self.path), f"not {self.encoding} text (bad byte at offset {exc.start})") from exc

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def identity(self) -> str:
        """The file's resolved path: a file-based item keeps its id while it is edited."""
        return str(self.path.resolve())

    @property
    def saved_at(self) -> str:
        """The file's modification time, as the best guess of when it was saved."""
        return iso(datetime.fromtimestamp(self.path.stat().st_mtime, UTC))


def _legacy_encoding(data: bytes) -> str | None:
    """The code page charset-normalizer finds for text that is not UTF-8, ``None`` for binary.

    Windows-1252 wins when it reads about as cleanly as the best guess: it is what most
    legacy Western text is, and on a few lines of French the detector cannot tell it from
    the Baltic or Central European pages (it picked cp1257 for "crème brûlée").
    """
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    western = next((m for m in matches if m.encoding == "cp1252"), None)
    return "cp1252" if western is not None and western.chaos <= best.chaos + _CP1252_MARGIN else best.encoding


def first_line(text: str, limit: int = 120) -> str:
    """The first non-empty line, cut at a word boundary near ``limit`` characters."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return shorten(line, limit)
    return ""


def shorten(text: str, limit: int = 120) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def printable(text: str) -> str:
    """``text`` as it is when it prints as one clean line, else quoted with its escapes shown:
    a name taken from a file goes into a one-line message without breaking it."""
    return text if text.isprintable() else repr(text)


def paragraphs(text: str) -> list[str]:
    """Blocks of text separated by blank lines, stripped, empty ones dropped."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def slug(text: str, limit: int = 80) -> str:
    """A lowercase ASCII-ish key for a title: stable across whitespace and case changes."""
    key = re.sub(r"[\W_]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return key[:limit] or digest(text)


def digest(text: str) -> str:
    """A short stable hash of ``text``, for ids of things that have no natural one."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_json(inp: Input) -> Any:
    """The whole file as JSON; a ``FormatError`` naming line and column, and saying when the
    file looks cut off, if it is not. Every JSON importer reads through here."""
    text = inp.text
    try:
        return json_value(text)
    except JSON_ERRORS as exc:
        hint = " — the file looks truncated" if _unclosed(text) else ""
        raise FormatError(inp.name, f"invalid JSON: {json_problem(exc)}{hint}") from exc


# What ``json.loads`` raises: ``JSONDecodeError`` (a ValueError), a plain ValueError for an
# integer past Python's 4,300-digit limit, and RecursionError for nesting past the stack.
JSON_ERRORS = (ValueError, RecursionError)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_value(text: str) -> Any:
    """``json.loads``, with lone surrogates replaced by U+FFFD: JSON allows an escape like
    ``\\ud800`` on its own, UTF-8 (and so SQLite) cannot store what it decodes to."""
    value = json.loads(text)
    return map_strings(value, lambda s: _SURROGATE.sub("\ufffd", s)) if _SURROGATE_ESCAPE.search(text) else value


def map_strings(value: Any, change: Callable[[str], str]) -> Any:
    """Parsed JSON with ``change`` applied to every string in it, keys included."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [map_strings(v, change) for v in value]
    if isinstance(value, dict):
        return {map_strings(k, change): map_strings(v, change) for k, v in value.items()}
    return value


def json_problem(exc: Exception) -> str:
    """What is wrong with JSON that ``json.loads`` refused, in a few words and one line."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    return "a number too long to read"


def _unclosed(text: str) -> bool:
    """True when a string, array or object is still open at the end: a cut-off file."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return in_string or depth > 0
