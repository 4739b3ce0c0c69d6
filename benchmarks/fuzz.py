"""Fuzzing every importer: hostile files in, records or one clean line out.

Each importer gets realistic seed files, written here so the run needs no
samples on disk, and a hypothesis strategy that draws two kinds of input:

- *shaped*: documents of the format's own shape (a JSON export, a feed, a
  bookmarks tree, a caption file, a places.sqlite...) whose fields are
  realistic, of any other type, or missing;
- *damaged*: seeds cut at a random offset, with bytes flipped, inserted or
  deleted, spliced with another format's seed, padded with a huge line,
  nested fifty thousand deep, re-encoded, with a number swapped for a huge
  one, given invalid UTF-8 or NUL bytes, or replaced by random binary or
  nothing at all.

A case passes when reading it through the real import path
(``ft.sources.read``, forced to the importer or detected by content; for a
feed body, ``ft.sync.feeds.parse_feed``) yields records and Skipped notes, or
raises ft's own error, and every note and error is one clean line that names
the input. Anything else is a *crash*: another exception, a message over
several lines, with control characters or without the file's name, a case
over ``CASE_SECONDS`` twice running, or an exception that only ``read()``'s
last-resort handler caught (a parser bug it hides behind "could not be
read", which tells the user nothing they can act on).

Crashes are recorded and the run goes on, so the figures count them all::

    python -m benchmarks.fuzz --cases 1000
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import html
import json
import logging
import re
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from fpdf import FPDF
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ft import sources
from ft.core.errors import FtError, SourceError
from ft.sources.feeds import parse_feed
from index.records import Record, Skipped
from tests.documents import NETSCAPE, RSS, TELEGRAM

__all__ = ["CASE_SECONDS", "CaseTimeout", "Crash", "FuzzFigure", "Outcome", "Target", "damaged", "judge", "main", "one_case",
           "places_db", "run", "targets", "time_bound"]

CASE_SECONDS = 5.0  # one case's time bound: ten times the slowest sound case on a busy 2-core machine
FEED_URL = "https://feeds.example/fuzz.xml"  # the name a feed body is reported under
EXAMPLES = 5  # distinct crashes kept per importer


# -- what a run reports -------------------------------------------------------------


@dataclass(frozen=True)
class Crash:
    """One input an importer failed on, and how."""

    importer: str
    data: bytes
    forced: bool
    problem: str

    @property
    def kind(self) -> str:
        """The problem with quoted messages and numbers left out: crashes of one kind share it."""
        return re.sub(r"'.*'|\d+", "…", self.problem)

    def line(self) -> str:
        how = "" if self.importer == "feed" else "forced, " if self.forced else "detected, "
        return f"{self.importer} ({how}{len(self.data)} bytes {self.data[:48]!r}): {self.problem}"

    def save(self, folder: Path) -> Path:
        """Write the input to ``folder`` to replay it (``ft add FILE --as IMPORTER``); its path."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.importer}-{hashlib.sha256(self.data).hexdigest()[:12]}.case"
        path.write_bytes(self.data)
        return path


@dataclass
class FuzzFigure:
    """One importer's fuzzing run: how many cases, what they gave, and every crash."""

    importer: str
    cases: int = 0
    records: int = 0
    skipped: int = 0
    rejected: int = 0
    crashes: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    examples: list[Crash] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """What one case gave: entries seen, or a clean rejection, or the problem that makes it a crash."""

    records: int = 0
    skipped: int = 0
    rejected: bool = False
    problem: str | None = None


# -- judging one case ---------------------------------------------------------------


def line_problem(message: str, name: str) -> str | None:
    """Why ``message`` is not one clean line naming ``name``; None when it is."""
    if name not in message:
        return "message does not name the input"
    if len(message.splitlines()) != 1:
        return "message spans several lines"
    if any(unicodedata.category(ch) == "Cc" and ch != "\t" for ch in message):
        return "message holds control characters"
    return None


def hidden_crash(exc: FtError) -> BaseException | None:
    """The parser bug behind ``exc`` when only ``read()``'s last-resort handler caught it.

    That handler wraps a foreign exception in a plain ``SourceError``; parsers raise
    ``FormatError``, and a real I/O error carries the file name it failed on.
    """
    cause = exc.__cause__
    if type(exc) is not SourceError or cause is None or isinstance(cause, FtError):
        return None
    if isinstance(cause, OSError) and cause.filename is not None:
        return None
    return cause


def judge(entries: Callable[[], list], name: str) -> Outcome:
    """Read one input through ``entries`` and judge what came back."""
    try:
        got = entries()
    except FtError as exc:
        if (cause := hidden_crash(exc)) is not None:
            return Outcome(problem=f"read() caught {_where(cause)}")
        problem = line_problem(str(exc), name)
        return Outcome(rejected=True, problem=problem and f"{problem}: {str(exc)[:160]!r}")
    except Exception as exc:  # noqa: BLE001 - every foreign exception is the finding
        return Outcome(problem=_where(exc))
    for entry in got:
        if problem := entry_problem(entry, name):
            return Outcome(problem=problem)
    records = sum(isinstance(entry, Record) for entry in got)
    return Outcome(records=records, skipped=len(got) - records)


def entry_problem(entry: object, name: str) -> str | None:
    """Why one yielded entry is neither a sound record nor a clean note naming the input; None when it is one."""
    if isinstance(entry, Skipped):
        problem = line_problem(str(entry), name)
        return problem and f"Skipped note: {problem}: {str(entry)[:160]!r}"
    if not isinstance(entry, Record):
        return f"yielded a {type(entry).__name__}, neither a Record nor a Skipped note"
    try:
        entry.content_hash  # serialises title, text and meta the way the store does
    except Exception as exc:  # noqa: BLE001
        return f"record cannot be stored: {_where(exc)}"
    if not (isinstance(entry.source_id, str) and entry.source_id and isinstance(entry.text, str)
            and isinstance(entry.title, str)):
        return f"malformed record {entry.source_id!r}"
    return None


def _where(exc: BaseException) -> str:
    """``Type: message`` and the innermost frame that raised it, in one line."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    at = f" at {Path(frame.tb_frame.f_code.co_filename).name}:{frame.tb_lineno}" if frame else ""
    return f"{type(exc).__name__}: {str(exc)[:160]!r}{at}"


class CaseTimeout(BaseException):
    """A case ran past its time bound (a BaseException, so no parser's ``except Exception`` eats it)."""


@contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` with ``CaseTimeout``; only the main thread has the alarm."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise CaseTimeout(f"no answer within {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- damage: byte-level mutations of seeds ---------------------------------------------

Draw = Callable[[st.SearchStrategy], object]


def _at(draw: Draw, data: bytes) -> int:
    return draw(st.integers(0, len(data)))


def _truncate(draw: Draw, seed: bytes, others: list[bytes]) -> bytes:
    return seed[: _at(draw, seed)]


def _flip(draw: Draw, seed: bytes, others: list[bytes]) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8)) if data else 0):
        data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


def _insert(draw: Draw, seed: bytes, others: list[bytes]) -> bytes:
    at = _at(draw, seed)
    noise = draw(st.binary(min_size=1, max_size=32) | st.sampled_from(_HOSTILE))
    return seed[:at] + noise + seed[at:]


def _delete(draw: Draw, seed: bytes, others: list[bytes]) -> bytes:
    at = _at(draw, seed)
    return seed[:at] + seed[at + draw(st.integers(1, 512)):]


def _splice(draw: Draw, seed: bytes, others: list[bytes]) -> bytes:
    other = draw(st.sampled_from(others))
    return seed[: _at(draw, seed)] + other[_at(draw, other):]


def _random(draw: Draw, seed: bytes, others: list[bytes]) -> bytes:
    return draw(st.binary(max_size=4096))


def _empty(draw: Draw, seed: bytes, others: list[bytes]) -> bytes:
    return draw(st.sampled_from([b"", b"\n", b" ", b"\xef\xbb\xbf", b"\x00"]))


def _huge_line(draw: Draw, seed: bytes, others: list[bytes]) -> bytes:
    """A run of one character long enough to show quadratic regexes and parsers."""
    at = _at(draw, seed)
    run = draw(st.sampled_from([b"A", b" ", b"<", b"[", b"{", b"\t", b"-", b"@", b"1", b".", b"#", b"\xe2\x80\xa2"]))
    return seed[:at] + run * draw(st.sampled_from([5_000, 200_000])) + seed[at:]


def _nest(draw: Draw, seed: bytes, others: list[bytes]) -> bytes:
    """Deep nesting at the front or inside: JSON arrays and objects, XML/HTML elements."""
    depth = draw(st.sampled_from([64, 1_000, 50_000]))
    opener = draw(st.sampled_from([b"[", b'{"a":', b"<div>", b"<outline>", b"<DL><p>"]))
    at = draw(st.sampled_from([0, _at(draw, seed)]))
    return seed[:at] + opener * depth + seed[at:]


def _renumber(draw: Draw, seed: bytes, others: list[bytes]) -> bytes:
    """One number in the seed (a length, an offset, a date, an id) replaced by another."""
    numbers = list(re.finditer(rb"\d+", seed))
    if not numbers:
        return seed
    hit = draw(st.sampled_from(numbers))
    value = draw(st.integers(-1, 10**6).map(str) | st.sampled_from(["2147483648", "9223372036854775808", "1e400", "9" * 4400]))
    return seed[: hit.start()] + value.encode() + seed[hit.end():]


def _reencode(draw: Draw, seed: bytes, others: list[bytes]) -> bytes:
    """The seed in another encoding, or with a byte-order mark ft may not expect."""
    text = seed.decode("utf-8", errors="replace")
    codec = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "utf-8-sig"]))
    return text.encode(codec, errors="replace")


# Bytes that break decoders and parsers in known ways.
_HOSTILE = [b"\x00", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\r", b"\r\n\r\n", b"\x1b[2J",
            b"\xe2\x80\xa8", b"\x0c", b"]]>", b"<!--", b"-->", b"&#0;", b"&#x110000;", b"&bogus;", b'"', b"\\",
            b"\\ud800", b"NaN", b"1e999999", b"-0", b"9" * 5000, b"\t\t\t", b"://", b"[::1", b"%00"]

_DAMAGE = [_truncate, _flip, _insert, _delete, _splice, _random, _empty, _huge_line, _nest, _renumber, _reencode]


def damaged(seeds: list[bytes], others: list[bytes]) -> st.SearchStrategy[bytes]:
    """A seed with one to three kinds of damage applied in turn (``others`` are spliced in)."""

    @st.composite
    def damage(draw: Draw) -> bytes:  # a closure: hypothesis would print the seeds as arguments
        data = draw(st.sampled_from(seeds))
        for _ in range(draw(st.integers(1, 3))):
            data = draw(st.sampled_from(_DAMAGE))(draw, data, others)
        return data

    return damage()


# -- shaped: documents of each format's shape ----------------------------------------------

WORDS = ["speculative", "decoding", "cache", "KV", "SQLite", "WAL", "int4", "attention", "the", "a", "of", "#ml",
         "@edge_infer", "https://t.co/Xb7Lq2RmVa", "café", "東京", "🙂", "—", "&amp;", "<b>", "\u200b", "\u202e", "𝔘"]
LINE = st.text(alphabet=st.characters(exclude_characters="\r\n", exclude_categories=("Cs",)), max_size=60)
PROSE = st.lists(st.sampled_from(WORDS) | LINE, max_size=14).map(" ".join)
TEXT = PROSE | st.text(max_size=200)
URLS = st.sampled_from([
    "https://example.org/post?id=3&utm_source=x", "http://sqlite.org/wal.html", "https://x.com/user/status/5",
    "https://arxiv.org/pdf/2512.24601v2", "javascript:alert(1)", "place:sort=8", "chrome://settings", "file:///etc/passwd",
    "https://", "https://[::1", "https://a:99999/", "https://ex\u00e4mple.org/ü?q=1#f", "http://[fe80::1%eth0]/",
    "https://user:pw@host:0/x", "HTTPS://WWW.EXAMPLE.ORG/", " https://example.org/ ", "https://a/\x00b", "data:text/html,x",
]) | st.text(max_size=30).map(lambda tail: "https://" + tail) | st.text(max_size=30)
DATES = st.sampled_from([
    "Wed Oct 10 20:19:24 +0000 2018", "Wed Oct 10 20:19:24 +0000 99999", "2025-10-10T20:19:24.000Z", "2025-02-30",
    "0000-00-00T00:00:00", "9999-12-31T23:59:59+14:00", "Mon, 06 Jan 2025 10:00:00 GMT", "yesterday", "",
]) | st.integers() | st.floats() | st.datetimes().map(datetime.isoformat) | st.text(max_size=30)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
JSON_ANY = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
                        max_leaves=6)


MISSING = object()  # a field left out of a shaped object


def shaped_object(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    """Objects of a format's shape, plus stray keys: each field realistic half the time, else of any
    JSON type or missing."""
    values = {key: st.one_of(strategy, strategy, JSON_ANY, st.just(MISSING)) for key, strategy in fields.items()}
    stray = st.dictionaries(st.text(max_size=8), JSON_ANY, max_size=1)
    return st.tuples(st.fixed_dictionaries(values), stray).map(
        lambda pair: {**pair[1], **{key: value for key, value in pair[0].items() if value is not MISSING}})


@st.composite
def json_document(draw: Draw, value: st.SearchStrategy) -> bytes:
    """``value`` as JSON, compact or indented, escaped to ASCII or not (NaN and Infinity included)."""
    return json.dumps(draw(value), ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2]))).encode()


@st.composite
def json_lines(draw: Draw, value: st.SearchStrategy) -> bytes:
    """JSON Lines of ``value``, with stray broken lines and blank lines among them."""
    lines = draw(st.lists(value.map(json.dumps) | st.sampled_from(["", "{broken", "[]", "null", "  "]) | LINE, min_size=1, max_size=6))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines).encode()


def _tweet_web(depth: int) -> st.SearchStrategy[dict]:
    media = st.lists(shaped_object({"type": st.sampled_from(["photo", "video"]), "url": URLS, "original": URLS,
                                    "ext_alt_text": TEXT}), max_size=2)
    quoted = _tweet_web(depth - 1) if depth else st.none()
    return shaped_object({"id": st.from_regex(r"1[0-9]{18}", fullmatch=True), "full_text": TEXT, "screen_name": LINE,
                          "name": LINE, "created_at": DATES, "favorite_count": st.integers(), "views_count": SCALARS,
                          "in_reply_to": SCALARS, "media": media, "quoted_status": quoted})


def _tweet_bird(depth: int) -> st.SearchStrategy[dict]:
    author = shaped_object({"username": LINE, "name": LINE})
    quoted = _tweet_bird(depth - 1) if depth else st.none()
    return shaped_object({"id": st.from_regex(r"1[0-9]{18}", fullmatch=True), "text": TEXT, "author": author,
                          "createdAt": DATES, "likeCount": st.integers(), "media": JSON_ANY, "quotedTweet": quoted})


def _tweet_fieldtheory(depth: int) -> st.SearchStrategy[dict]:
    quoted = _tweet_fieldtheory(depth - 1) if depth else st.none()
    return shaped_object({"id": LINE, "tweetId": st.from_regex(r"1[0-9]{18}", fullmatch=True), "text": TEXT,
                          "articleText": TEXT, "authorHandle": LINE, "authorName": LINE, "postedAt": DATES,
                          "bookmarkedAt": DATES, "engagement": JSON_ANY, "links": st.lists(URLS, max_size=3),
                          "xFolder": LINE, "quotedTweet": quoted})


def _ft_item() -> st.SearchStrategy[dict]:
    return shaped_object({"text": TEXT, "title": LINE, "source": LINE, "source_id": LINE, "id": st.integers(), "url": URLS,
                          "kind": st.sampled_from(["note", "post", "page"]), "author": LINE, "created_at": DATES,
                          "saved_at": DATES, "meta": JSON_ANY})


def _telegram_export() -> st.SearchStrategy[dict]:
    entity = shaped_object({"type": st.sampled_from(["bold", "link", "text_link", "mention"]), "text": TEXT, "href": URLS})
    text = TEXT | st.lists(TEXT | entity, max_size=5)
    message = shaped_object({"id": st.integers(0, 10**6), "type": st.sampled_from(["message", "service"]), "date": DATES,
                             "date_unixtime": st.integers(-2**63, 2**63).map(str) | SCALARS, "text": text, "from": LINE,
                             "from_id": LINE, "action": LINE})
    chat = st.fixed_dictionaries({"type": st.just("public_channel")}, optional={"name": LINE | JSON_ANY, "id": SCALARS}).flatmap(
        lambda head: st.lists(message | JSON_ANY, max_size=6).map(lambda messages: {**head, "messages": messages}))
    # The full data export: every chat under chats.list (and left_chats.list).
    full = st.tuples(st.lists(chat | JSON_ANY, max_size=3), st.lists(chat, max_size=2)).map(lambda lists: {
        "about": "Here is the data you requested.", "personal_information": {"user_id": 1},
        "chats": {"about": "", "list": lists[0]}, "left_chats": {"about": "", "list": lists[1]}})
    return chat | full


def _chrome_tree() -> st.SearchStrategy[dict]:
    url_node = shaped_object({"type": st.just("url"), "name": LINE, "url": URLS,
                              "date_added": st.from_regex(r"1[0-9]{16}", fullmatch=True) | DATES})
    node = st.recursive(url_node, lambda kids: shaped_object({"type": st.just("folder"), "name": LINE,
                                                               "children": st.lists(kids | JSON_ANY, max_size=4)}), max_leaves=8)
    roots = st.dictionaries(st.sampled_from(["bookmark_bar", "other", "synced"]) | st.text(max_size=10), node | JSON_ANY, max_size=3)
    return shaped_object({"roots": roots, "version": st.integers(), "checksum": LINE}).map(
        lambda doc: {"roots": {"bookmark_bar": {}}, **doc})


SQL_ANY = st.none() | st.integers(-2**63, 2**63 - 1) | st.floats() | st.text(max_size=30) | st.binary(max_size=16)
# (moz_places, moz_bookmarks) table definitions: Firefox's types, no types (any value goes), a table missing,
# a column missing.
PLACES_SCHEMAS = [
    ("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR, visit_count INTEGER DEFAULT 0)",
     "CREATE TABLE moz_bookmarks (id INTEGER PRIMARY KEY, type INTEGER, fk INTEGER DEFAULT NULL, parent INTEGER, "
     "position INTEGER, title LONGVARCHAR, dateAdded INTEGER, lastModified INTEGER)"),
    ("CREATE TABLE moz_places (id, url, title)", "CREATE TABLE moz_bookmarks (id, type, fk, parent, position, title, dateAdded)"),
    ("", "CREATE TABLE moz_bookmarks (id, type, fk, parent, position, title, dateAdded)"),
    ("CREATE TABLE moz_places (id, url, title)", ""),
    ("CREATE TABLE moz_places (id, url)", "CREATE TABLE moz_bookmarks (id, type, fk, parent, title)"),
]


def places_db(schema: tuple[str, str], places: list[dict], bookmarks: list[dict]) -> bytes:
    """A places.sqlite file's bytes: the tables of ``schema`` holding whichever columns they have."""
    db = sqlite3.connect(":memory:")
    for ddl, table, rows in ((schema[0], "moz_places", places), (schema[1], "moz_bookmarks", bookmarks)):
        if not ddl:
            continue
        db.execute(ddl)
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        for row in rows:
            names = [c for c in columns if c in row]
            try:
                db.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                           [row[c] for c in names])
            except sqlite3.IntegrityError:
                continue  # a text id in an INTEGER PRIMARY KEY: Firefox's own schema refuses it too
    db.commit()
    data = db.serialize()
    db.close()
    return bytes(data)


DATE_ADDED = st.integers(0, 2 * 10**15) | st.integers(-2**63, 2**63 - 1) | SQL_ANY


@st.composite
def places_file(draw: Draw) -> bytes:
    """A places.sqlite: bookmarks and folders pointing at places and parents that mostly exist, fields of any type."""
    schema = draw(st.sampled_from(PLACES_SCHEMAS))
    n_places, n_bookmarks = draw(st.integers(0, 5)), draw(st.integers(0, 8))
    ids = st.integers(0, max(n_places, n_bookmarks) + 1)  # one past the last: a reference to nothing
    places = [{"id": i, "url": draw(URLS | SQL_ANY), "title": draw(TEXT | SQL_ANY)} for i in range(1, n_places + 1)]
    bookmarks = [{"id": draw(st.just(i) | SQL_ANY), "type": draw(st.sampled_from([1, 2]) | SQL_ANY), "fk": draw(ids | SQL_ANY),
                  "parent": draw(ids | SQL_ANY), "position": i, "title": draw(TEXT | SQL_ANY), "dateAdded": draw(DATE_ADDED)}
                 for i in range(1, n_bookmarks + 1)]
    return places_db(schema, places, bookmarks)


@st.composite
def netscape_page(draw: Draw) -> bytes:
    """A Netscape bookmarks file: folders and links, attributes escaped or raw, closing tags sometimes missing."""
    def attr() -> str:
        value = str(draw(URLS | DATES | LINE))
        return draw(st.sampled_from([quoteattr(value), value, f'"{value}"']))

    out = ["<!DOCTYPE NETSCAPE-Bookmark-file-1>", '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">',
           "<TITLE>Bookmarks</TITLE><H1>Bookmarks</H1>", "<DL><p>"]
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["link", "folder", "end", "junk"]))
        if kind == "link":
            out.append(f"<DT><A HREF={attr()} ADD_DATE={attr()}>{html.escape(draw(LINE))}</A>")
        elif kind == "folder":
            out.append(f"<DT><H3 ADD_DATE={attr()}>{draw(LINE)}</H3>")
            out.append("<DL><p>")
        elif kind == "end":
            out.append("</DL><p>")
        else:
            junk = st.sampled_from(["<A>", "</A>", "<H3>", "</H3>", "<A HREF>", "<DL>", "</DL></DL></DL>", "<!--", "<![", "<!X"])
            out.append(draw(junk) + draw(LINE))
    return "\n".join(out).encode()


@st.composite
def opml_document(draw: Draw) -> bytes:
    def outline(depth: int) -> str:
        attrs = " ".join(f"{name}={quoteattr(draw(value))}" for name, value in
                         (("text", LINE), ("title", LINE), ("type", st.just("rss")), ("xmlUrl", URLS), ("htmlUrl", URLS))
                         if draw(st.booleans()))
        kids = "".join(outline(depth - 1) for _ in range(draw(st.integers(0, 3)))) if depth else ""
        return f"<outline {attrs}>{kids}</outline>"

    body = "".join(outline(2) for _ in range(draw(st.integers(0, 4))))
    prolog = draw(st.sampled_from(['<?xml version="1.0"?>', "", '<?xml version="1.0" encoding="ISO-8859-1"?>',
                                   '<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>']))
    return f'{prolog}<opml version="2.0"><head><title>{escape(draw(LINE))}</title></head><body>{body}</body></opml>'.encode()


HTML_SOUP = st.lists(st.sampled_from(["<p>", "</p>", "<b>", "</b>", "<script>", "</script>", "<!--", "-->", "<br/>", "&amp;",
                                      "&#0;", "&#x110000;", "<![CDATA[", "]]>", "<", ">", "<a href='x'>", "<img src=x>",
                                      "<svg><style>", "<table><tr><td>", "\x00"]) | LINE, max_size=10).map("".join)


@st.composite
def feed_document(draw: Draw) -> bytes:
    """An RSS 2.0 or Atom feed whose entries have realistic, empty, missing or hostile fields."""
    def text() -> str:
        value = draw(HTML_SOUP | TEXT)
        return draw(st.sampled_from([escape(value), f"<![CDATA[{value}]]>", value]))

    def element(tag: str, value: str) -> str:
        return f"<{tag}>{value}</{tag}>" if draw(st.booleans()) else ""

    def item() -> str:
        return (element("guid", text()) + element("title", text()) + element("link", escape(draw(URLS)))
                + element("description", text()) + element("pubDate", escape(str(draw(DATES)))) + element("author", text()))

    def entry() -> str:
        link = f"<link href={quoteattr(draw(URLS))}/>" if draw(st.booleans()) else ""
        kind = draw(st.sampled_from(["html", "xhtml", "text"]))
        return (element("id", text()) + element("title", text()) + link + element("updated", escape(str(draw(DATES))))
                + f'<content type="{kind}">{text()}</content>' + element("summary", text()))

    count = range(draw(st.integers(0, 5)))
    if draw(st.booleans()):
        items = "".join(f"<item>{item()}</item>" for _ in count)
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{text()}</title>{items}</channel></rss>'.encode()
    entries = "".join(f"<entry>{entry()}</entry>" for _ in count)
    atom = '<feed xmlns="http://www.w3.org/2005/Atom">'
    return f'<?xml version="1.0" encoding="utf-8"?>{atom}<title>{text()}</title>{entries}</feed>'.encode()


TIMING = st.sampled_from(["00:00:01.000 --> 00:00:04.000", "00:01.000 --> 00:04.000", "99:99:99.999 --> 00:00:00.000",
                          "00:00:01,000 --> 00:00:04,000", "-->", "00:00:01.000 -->", "1:2:3 --> 4:5:6"]) | LINE
CUE_TEXT = st.lists(st.sampled_from(["<v Dana>", "<c.yellow>", "</c>", "<00:00:01.500>", "<b>", "<", ">", "&lt;", "0:01",
                                     "(1:02:03)", "NOTE", "STYLE"]) | PROSE, max_size=5).map(" ".join)


@st.composite
def caption_file(draw: Draw, kind: str) -> bytes:
    """A WebVTT or SubRip file: numbered or unnumbered cues, odd timings, markup, NOTE blocks."""
    blocks = ["WEBVTT" + draw(st.sampled_from(["", " - title", "\nKind: captions\nLanguage: en"]))] if kind == "vtt" else []
    for number in range(1, draw(st.integers(0, 8)) + 1):
        if draw(st.integers(0, 9)) == 0:
            blocks.append("NOTE " + draw(LINE))
            continue
        index = f"{number}\n" if kind == "srt" or draw(st.booleans()) else ""
        lines = "\n".join(draw(st.lists(CUE_TEXT, min_size=0, max_size=3)))
        blocks.append(f"{index}{draw(TIMING)}\n{lines}")
    text = draw(st.sampled_from(["\n\n", "\r\n\r\n", "\n"])).join(blocks) + "\n"
    # Subtitle tools on Windows write UTF-16 with a byte-order mark, or Windows-1252.
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-8-sig", "cp1252"])), errors="replace")


@st.composite
def youtube_dump(draw: Draw) -> bytes:
    header = [line for line in ("Transcript", f"{draw(st.from_regex(r'[A-Za-z0-9_-]{6,20}', fullmatch=True))} • {draw(LINE)}",
                                "Kind: captions", f"Language: {draw(LINE)}") if draw(st.integers(0, 4))]
    body = draw(st.lists(CUE_TEXT | st.sampled_from(["0:01", "12:34", "1:02:03", ""]), max_size=30))
    return "\n".join(header + body).encode()


COUNTER = st.tuples(st.from_regex(r"[\d.,]{1,6}", fullmatch=True), st.sampled_from([" ", "", "\t", " " * 200_000]),
                    st.sampled_from(["K", "k", "M", ""]), st.sampled_from([" ", " " * 200_000 + "x"]),
                    st.sampled_from(["subscribers", "photos", "links", "members", "views", "x"])).map("".join)


@st.composite
def telegram_preview(draw: Draw) -> bytes:
    """A channel preview: header with counters and "Download Telegram", posts ending in "Full story", view noise."""
    lines = [draw(LINE)] + draw(st.lists(COUNTER, max_size=4)) + [draw(PROSE), ""]
    if draw(st.booleans()):
        lines.append("Download Telegram")
    for _ in range(draw(st.integers(0, 6))):
        lines += draw(st.lists(PROSE | st.just(""), max_size=4))
        lines.append(draw(st.sampled_from(["Full story", "Read more", "1.2K views 14:03", "edited 09:15", "", "FULL STORY"])))
    return "\n".join(lines).encode()


@st.composite
def blog_roundup(draw: Draw) -> bytes:
    """Bullets at mixed indents (spaces, tabs), with indented bodies holding links and nested bullets."""
    lines = [draw(st.sampled_from(["Category: systems", "Tags: x", "Archive: ", ""])), "", draw(PROSE), ""]
    for _ in range(draw(st.integers(0, 6))):
        indent = draw(st.sampled_from(["  ", "", "\t", "    "]))
        lines.append(f"{indent}{draw(st.sampled_from(['•', '●', '▪', '◦']))} {draw(LINE)}")
        for _ in range(draw(st.integers(0, 4))):
            body_indent = draw(st.sampled_from(["    ", "      ", " ", "\t\t", ""]))
            lines.append(body_indent + draw(PROSE | URLS | st.just("• nested") | st.just("")))
    return "\n".join(lines).encode()


@st.composite
def tweet_dump(draw: Draw) -> bytes:
    parts = st.sampled_from(["https://t.co/Xb7Lq2RmVa", "https://t.co/", "http://t.co/a_b", "@a", "@@x", "@" + "a" * 20]) | PROSE
    return "\n".join(draw(st.lists(st.lists(parts, max_size=6).map(" ".join), min_size=1, max_size=20))).encode()


@st.composite
def stamped_transcript(draw: Draw) -> bytes:
    """Caption lines under or after timestamps, some impossible ("99:99"), bracketed or cut short."""
    stamp = st.sampled_from(["0:04", "12:30", "[01:02:03]", "(0:59)", "99:99", "1:2", "00:00:00", "[", "0:"])
    line = st.tuples(stamp, st.sampled_from(["\n", " "]), PROSE | LINE).map("".join)
    return "\n".join(draw(st.lists(line, max_size=40))).encode()


@st.composite
def kindle_clippings(draw: Draw) -> bytes:
    """Clippings with kinds, places and dates written every which way, some cut short."""
    meta = st.tuples(st.sampled_from(["Highlight", "Note", "Bookmark", "Markierung", ""]),
                     st.sampled_from(["page 3 | ", "", "page | "]),
                     st.sampled_from(["Location 5-7", "Location", "Location 1e9", ""]), DATES.map(str))
    clipping = st.tuples(LINE, meta, PROSE | st.just("")).map(
        lambda c: f"{c[0]}\n- Your {c[1][0]} on {c[1][1]}{c[1][2]} | Added on {c[1][3]}\n\n{c[2]}\n")
    return "==========\n".join(draw(st.lists(clipping, min_size=1, max_size=8))).encode()


@st.composite
def entry_list(draw: Draw) -> bytes:
    """Entries opened by dates (real, impossible, half-typed) or holding links, a line or a block each."""
    opener = st.sampled_from(["2026-11-02", "2026/11/02 09:30", "2026-02-30", "9999-99-99", "02.11.2026", "31.13.99",
                              "Nov 2, 2026", "Monday, 2 November", "may 5", "- 2026-11-02:", ""]) | DATES.map(str)
    entry = st.tuples(opener, st.lists(PROSE | URLS | LINE, max_size=3)).map(lambda e: "\n".join([e[0], *e[1]]))
    gap = draw(st.sampled_from(["\n", "\n\n", "\n \t\n"]))
    return gap.join(draw(st.lists(entry, max_size=12))).encode()


@st.composite
def html_page(draw: Draw) -> bytes:
    """An article page: head metadata (title, author, date, canonical URL), body blocks, tag soup, deep nesting."""
    meta = "".join(f'<meta {key}="{name}" content={quoteattr(str(draw(value)))}>' for key, name, value in (
        ("name", "author", LINE), ("name", "date", DATES), ("property", "og:url", URLS), ("property", "og:title", LINE),
        ("property", "article:published_time", DATES)) if draw(st.booleans()))
    blocks = "".join(f"<{tag}>{draw(HTML_SOUP | TEXT)}</{tag}>" for tag in draw(st.lists(
        st.sampled_from(["p", "div", "article", "nav", "script", "style", "pre", "h1", "li", "table", "main", "footer"]), max_size=8)))
    if draw(st.booleans()):  # JSON-LD, where trafilatura looks for author, date and headline first
        author = shaped_object({"@type": st.just("Person"), "name": TEXT}) | TEXT
        ld = shaped_object({"@context": st.just("https://schema.org"), "@type": st.sampled_from(["Article", "NewsArticle", "WebPage"]),
                            "headline": TEXT, "datePublished": DATES, "author": author | st.lists(author, max_size=3)})
        meta += f'<script type="application/ld+json">{json.dumps(draw(ld))}</script>'
    depth = draw(st.sampled_from([0, 0, 5, 300]))
    return (f"<!DOCTYPE html><html><head><title>{html.escape(draw(LINE))}</title>{meta}</head><body>"
            f"{'<div>' * depth}{blocks}{'</div>' * depth}</body></html>").encode()


LATIN = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_categories=("Cc",)), max_size=300)


def pdf_document(title: str, author: str, paragraphs: list[str], compress: bool, created: datetime | None) -> bytes:
    """A PDF written by fpdf2: metadata, paragraphs of Latin-1 text, compressed streams or not."""
    pdf = FPDF()
    pdf.set_compression(compress)
    pdf.set_title(title)
    pdf.set_author(author)
    if created:
        pdf.set_creation_date(created)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _pdfs() -> st.SearchStrategy[bytes]:
    return st.builds(pdf_document, TEXT, TEXT, st.lists(LATIN, max_size=4), st.booleans(),
                     st.none() | st.datetimes(min_value=datetime(1000, 1, 1)))


@st.composite
def note(draw: Draw) -> bytes:
    lines = draw(st.lists(st.sampled_from(["# Heading", "## ", "#", "#\t", "- item", "```", ""]) | PROSE | st.text(max_size=80),
                          min_size=0, max_size=12))
    return "\n".join(lines).encode()


# -- seeds: one realistic file per format -----------------------------------------------------

TWEET = {"id": "1861234567890123456", "created_at": "Wed Oct 10 20:19:24 +0000 2025",
         "full_text": "Speculative decoding on a laptop: 2x with a 0.5B draft https://t.co/abc", "screen_name": "edge_infer",
         "name": "Edge Inference", "favorite_count": 12, "retweet_count": 3, "bookmark_count": 5, "views_count": 900,
         "media": [{"type": "photo", "url": "https://pbs.twimg.com/media/a.jpg", "ext_alt_text": "a chart"}],
         "quoted_status": {"id": "1860000000000000001", "created_at": "Mon Oct 08 10:00:00 +0000 2025",
                           "full_text": "Prompt lookup decoding is free speed.", "screen_name": "apoorv", "name": "A"}}
BIRD = {"id": "1861234567890123456", "text": TWEET["full_text"], "author": {"username": "edge_infer", "name": "Edge Inference"},
        "authorId": "42", "createdAt": "2025-10-10T20:19:24.000Z", "replyCount": 2, "retweetCount": 3, "likeCount": 12}
FIELDTHEORY = {"id": "1862000000000000002", "tweetId": "1862000000000000002", "text": "Nanochat is out.",
               "url": "https://x.com/karpathy/status/1862000000000000002", "authorHandle": "karpathy", "authorName": "Andrej",
               "postedAt": "2025-10-13T15:00:00Z", "bookmarkedAt": None, "engagement": {"likeCount": 9000},
               "links": ["https://github.com/karpathy/nanochat"], "xFolder": "ml"}
FT_ITEMS = [{"source": "x", "source_id": "1879096790034370310", "kind": "post", "url": "https://x.com/kv/status/1879096790034370310",
             "author": "kv", "title": "New write-up on prefix caching", "text": "Move volatile text to the end of the prompt.",
             "created_at": "2025-01-14T09:22:41Z"},
            {"title": "Reciprocal rank fusion", "text": "Sum 1/(k + rank) over the lists.", "meta": {"tags": ["search"]}}]
TELEGRAM_EXPORT = {"name": "Paper Trail", "type": "public_channel", "id": 77, "messages": [
    {"id": 1, "type": "service", "date": "2025-01-01T10:00:00", "action": "create_channel"},
    {"id": 2, "type": "message", "date": "2025-01-02T10:00:00",
     "text": ["FlashAttention is an ", {"type": "bold", "text": "IO"}, " paper"]},
    {"id": 3, "type": "message", "date": "2025-01-03T10:00:00", "text": "Paged attention wastes under 4% of KV memory."}]}
CHROME = {"checksum": "x", "version": 1, "roots": {
    "bookmark_bar": {"name": "Bookmarks bar", "type": "folder", "children": [
        {"type": "folder", "name": "papers", "children": [
            {"type": "url", "name": "Draft trees", "url": "https://arxiv.org/pdf/2512.24601v2?utm_source=x",
             "date_added": "13380000000000000"}]},
        {"type": "url", "name": "settings", "url": "chrome://settings"}]},
    "other": {"children": [], "name": "Other", "type": "folder"}}}
OPML = """<?xml version="1.0"?><opml version="2.0"><head><title>Feeds</title></head><body>
  <outline text="kernels" type="rss" xmlUrl="https://kernels.example/rss.xml" htmlUrl="https://kernels.example/"/>
  <outline text="group"><outline text="bread" title="Bread" type="rss" xmlUrl="https://bread.example/atom.xml"/></outline>
  <outline text="bad" type="rss" xmlUrl="javascript:alert(1)"/></body></opml>
"""
ATOM = """<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Bread</title>
<entry><id>tag:bread,1</id><title>Cold retard</title><link href="https://bread.example/retard"/>
<updated>2025-02-01T08:00:00Z</updated><content type="html">&lt;p&gt;A night in the fridge builds flavour.&lt;/p&gt;</content></entry>
<entry><id>http://arxiv.org/abs/2512.24601v2</id><published>2025-12-30T18:00:00Z</published><title>Recursive Language Models</title>
<summary>We let a language model call itself over pieces of a long context.</summary><author><name>Alex Zhang</name></author></entry>
</feed>
"""
VTT = """WEBVTT
Kind: captions

NOTE recorded live

00:00:01.000 --> 00:00:07.100
<v Dana>Welcome back to Long Way Round,
the show about running for people with day jobs.

2
00:00:07.400 --> 00:00:12.000 align:start
<v Dana>Today's episode is for anyone <c.yellow>training</c> for a first marathon.
"""
SRT = """1
00:00:01,000 --> 00:00:07,800
Good morning. Today we're looking at how SQLite
keeps a database consistent when a write is interrupted.

2
00:00:08,300 --> 00:00:14,300
Last week we covered the <i>rollback journal</i>,
which is the older of the two mechanisms.
"""
YOUTUBE = """Transcript
dQw8Xk2pL0s • Making small models fast: speculative decoding on a laptop
Kind: captions
Language: en
okay hi everyone thanks for coming to the last slot
0:05
so this talk is about making small models fast
so this talk is about making small models fast
on the kind of laptop you already own.
"""
BLOG = """Category: systems

Things worth reading

  • Write-ahead logging

    SQLite WAL mode – sqlite.org

    Readers see a snapshot while the writer appends to the log.

  • Vector search at home

    Brute force is fine – Example Blog
    https://example.org/brute-force?utm_source=x

    • nested point one

  • Sourdough maths

    Baker's percentages – bread.example
"""
STAMPED = "".join(f"0:{4 * n:02d}\n{line}\n" for n, line in enumerate([
    "okay so today we're talking about", "small models on laptops", "and why the kv cache", "is most of the memory",
    "when the context gets long", "so the first thing", "is quantization", "four bits per weight", "is usually fine"]))
KINDLE = """The Bitter Lesson (Rich Sutton)
- Your Highlight on page 1 | Location 5-7 | Added on Monday, 3 June 2024 10:15:22

General methods that leverage computation are ultimately the most effective.
==========
"""
ENTRIES = """2026-11-02
Read the Chinchilla paper again: https://arxiv.org/abs/2203.15556

2026-11-03 09:30 speculative decoding with a 270M draft, acceptance 0.62 on code
Nov 5, 2026: https://www.sqlite.org/wal.html and why readers never wait
"""
TWEET_DUMP = """Hot take: most RAG failures I debug are chunking failures.
Overlap your chunks by 10-15%. Nice thread by @prefopt_notes https://t.co/Xb7Lq2RmVa
cc @mira_evals who warned me about exactly this
Writeup with numbers: https://t.co/Kq93ZfWn0d
"""
HTML_PAGE = """<!DOCTYPE html><html><head><title>Why prefix caching matters</title>
<meta name="author" content="Ruth"><link rel="canonical" href="https://blog.example/prefix-caching">
<meta property="article:published_time" content="2025-01-14T09:00:00Z"></head>
<body><nav>home</nav><article><h1>Why prefix caching matters</h1>
<p>When every request starts with the same system prompt, evaluating it once and copying its keys and values
saves most of the time to first token for short answers.</p><p>It needs byte-identical prefixes.</p></article></body></html>
"""
MARKDOWN = """# Reciprocal rank fusion

Sum 1/(k + rank) over the ranked lists; k = 60 works.

- no score calibration needed
"""
NOTE = """Classifier eval meeting

Macro-F1 on the held-out set went from 0.61 to 0.68.
"""


def _json(value: object) -> bytes:
    return json.dumps(value, indent=1, ensure_ascii=False).encode()


def _jsonl(values: list[object]) -> bytes:
    return "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in values).encode()


def _places_seed() -> bytes:
    places = [{"id": 1, "url": "https://sqlite.org/wal.html", "title": "WAL"}, {"id": 2, "url": "place:sort=8", "title": None}]
    bookmarks = [{"id": 1, "type": 2, "parent": 0, "title": "root", "dateAdded": 0},
                 {"id": 2, "type": 2, "parent": 1, "title": "toolbar", "dateAdded": 0},
                 {"id": 3, "type": 1, "fk": 1, "parent": 2, "title": "Write-ahead logging", "dateAdded": 1700000000000000},
                 {"id": 4, "type": 1, "fk": 2, "parent": 2, "title": "Recent", "dateAdded": 1700000000000000}]
    return places_db(PLACES_SCHEMAS[0], places, bookmarks)


def _pdf_seeds() -> list[bytes]:
    text = ["Abstract. Draft trees let a small model propose a tree of continuations that the large model verifies at once.",
            "Section 2: acceptance length grows with the tree's width until verification costs more than it saves."]
    return [pdf_document("Draft trees", "A. Researcher", text, True, datetime(2025, 3, 1, 12, 0)),
            pdf_document("KV reuse", "", text[1:], False, None)]


# -- the importers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One importer to fuzz: its ``--as`` name (or ``feed``), the file suffix it is saved with, seeds, shaped inputs."""

    name: str
    suffix: str
    seeds: tuple[bytes, ...] = field(repr=False)
    shaped: st.SearchStrategy[bytes] = field(repr=False)

    def entries(self, data: bytes, forced: bool, workdir: Path) -> tuple[str, Callable[[], list]]:
        """The input's name, and how to read it through ft's real path."""
        if self.name == "feed":
            return FEED_URL, lambda: parse_feed(FEED_URL, data)
        path = workdir / f"fuzz-case{self.suffix}"
        path.write_bytes(data)
        return str(path), lambda: list(sources.read(path, self.name if forced else None))


@functools.cache
def targets() -> tuple[Target, ...]:
    """Every importer in ``ft.sources.FORMATS``, and the feed parser, with seeds and shaped inputs."""
    web, bird, fieldtheory = (st.lists(tweet(1), max_size=5) for tweet in (_tweet_web, _tweet_bird, _tweet_fieldtheory))
    return (
        Target("pdf", ".pdf", tuple(_pdf_seeds()), _pdfs()),
        Target("firefox-places", ".sqlite", (_places_seed(),), places_file()),
        Target("chrome-bookmarks", "", (_json(CHROME),), json_document(_chrome_tree())),
        Target("netscape-bookmarks", ".html", (NETSCAPE.encode(),), netscape_page()),
        Target("telegram-export", ".json", (_json(TELEGRAM_EXPORT), _json({"about": "", "personal_information": {},
                                                                            "chats": {"list": [TELEGRAM_EXPORT]}})),
               json_document(_telegram_export())),
        Target("rss", ".xml", (RSS.encode(), ATOM.encode()), feed_document()),
        Target("opml", ".opml", (OPML.encode(),), opml_document()),
        Target("twitter-web-exporter", ".json", (_json([TWEET, BIRD]),), json_document(web)),
        Target("bird", ".json", (_json({"tweets": [BIRD], "nextCursor": None}),),
               json_document(bird | bird.map(lambda tweets: {"tweets": tweets, "nextCursor": None}))),
        Target("fieldtheory", ".jsonl", (_jsonl([FIELDTHEORY, {**FIELDTHEORY, "tweetId": "1862000000000000003"}]),),
               json_lines(_tweet_fieldtheory(1)) | json_document(fieldtheory)),
        Target("json", ".json", (_json(FT_ITEMS), _jsonl(FT_ITEMS), _json({"items": FT_ITEMS})),
               json_document(st.lists(_ft_item(), max_size=5) | st.lists(_ft_item(), max_size=5).map(lambda i: {"items": i})
                             | _ft_item()) | json_lines(_ft_item())),
        Target("vtt", ".vtt", (VTT.encode(),), caption_file("vtt")),
        Target("srt", ".srt", (SRT.encode(),), caption_file("srt")),
        Target("youtube-transcript", ".txt", (YOUTUBE.encode(),), youtube_dump()),
        Target("html", ".html", (HTML_PAGE.encode(),), html_page()),
        Target("telegram", ".txt", (TELEGRAM.encode(),), telegram_preview()),
        Target("blog", ".txt", (BLOG.encode(),), blog_roundup()),
        Target("stamped-transcript", ".txt", (STAMPED.encode(),), stamped_transcript()),
        Target("kindle", ".txt", (KINDLE.encode(),), kindle_clippings()),
        Target("entries", ".txt", (ENTRIES.encode(),), entry_list()),
        Target("x-text", ".txt", (TWEET_DUMP.encode(),), tweet_dump()),
        Target("markdown", ".md", (MARKDOWN.encode(),), note()),
        Target("text", ".txt", (NOTE.encode(),), note()),
        Target("feed", ".xml", (RSS.encode(), ATOM.encode()), feed_document()),
    )


# -- running --------------------------------------------------------------------------------


def one_case(target: Target, data: bytes, forced: bool, workdir: Path) -> Outcome:
    """Read one input within the time bound and judge it. A case over the bound gets a second
    try: a one-off cost (a lazy import, a busy machine) is not a hang, a slow parser is slow twice."""
    for _ in range(2):
        name, entries = target.entries(data, forced, workdir)
        try:
            with time_bound(CASE_SECONDS):
                return judge(entries, name)
        except CaseTimeout as exc:
            problem = str(exc)
    return Outcome(problem=problem)


def fuzz(target: Target, cases: int, workdir: Path, others: list[bytes], fixed: bool = False) -> FuzzFigure:
    """Run ``cases`` hypothesis cases against one importer, recording every crash and going on."""
    figure = FuzzFigure(target.name)
    for seed in target.seeds:  # warm up: first-use imports and caches do not count against the time bound
        one_case(target, seed, True, workdir)

    @settings(max_examples=cases, database=None, derandomize=fixed, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(data=target.shaped | damaged(list(target.seeds), others), forced=st.booleans())
    def case(data: bytes, forced: bool) -> None:
        started = time.perf_counter()
        outcome = one_case(target, data, forced, workdir)
        figure.slowest = max(figure.slowest, time.perf_counter() - started)
        figure.cases += 1
        figure.records += outcome.records
        figure.skipped += outcome.skipped
        figure.rejected += outcome.rejected
        if outcome.problem:
            figure.crashes += 1
            crash = Crash(target.name, data, forced, outcome.problem)
            if len(figure.examples) < EXAMPLES and crash.kind not in {c.kind for c in figure.examples}:
                figure.examples.append(crash)

    started = time.perf_counter()
    case()
    figure.seconds = time.perf_counter() - started
    return figure


def run(cases_per_importer: int, only: list[str] | None = None, fixed: bool = False) -> list[FuzzFigure]:
    """Fuzz every importer (or those named in ``only``) with ``cases_per_importer`` cases each.

    ``fixed`` draws the same cases every run (the test suite: CI must not fail on a case that
    happened to be drawn today); otherwise each run explores new ones (``make stress``)."""
    chosen = [t for t in targets() if not only or t.name in only]
    others = [seed for t in targets() for seed in t.seeds]
    with quiet(), tempfile.TemporaryDirectory(prefix="ft-fuzz-") as tmp:
        return [fuzz(target, cases_per_importer, Path(tmp), others, fixed) for target in chosen]


@contextmanager
def quiet() -> Iterator[None]:
    """No log lines or warnings: pypdf, trafilatura, feedparser and dateutil remark on every damaged file."""
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(logging.NOTSET)


def table(figures: list[FuzzFigure]) -> str:
    """The figures as a text table, then one line per example crash."""
    rows = [f"{'importer':<22} {'cases':>6} {'records':>8} {'skipped':>8} {'rejected':>8} {'crashes':>7} {'seconds':>8} {'slowest':>8}"]
    rows += [f"{f.importer:<22} {f.cases:>6} {f.records:>8} {f.skipped:>8} {f.rejected:>8} {f.crashes:>7} {f.seconds:>8.1f} "
             f"{f.slowest:>8.2f}" for f in figures]
    rows += [crash.line() for f in figures for crash in f.examples]
    return "\n".join(rows)


def main(cases: int = 1000, only: list[str] | None = None, keep: Path | None = None) -> bool:
    """Fuzz, print the table (and save example crash inputs in ``keep``); True when no importer crashed."""
    figures = run(cases, only)
    print(table(figures))
    for crash in (c for f in figures for c in f.examples) if keep else ():
        print(f"saved {crash.save(keep)}")
    return not any(f.crashes for f in figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="hypothesis cases per importer")
    parser.add_argument("--only", action="append", metavar="IMPORTER", help="fuzz only this importer (repeatable)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="save the example crash inputs here")
    args = parser.parse_args()
    sys.exit(0 if main(args.cases, args.only, args.keep) else 1)
