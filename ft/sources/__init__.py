"""Importers: turn files into records, choosing the format by content.

``FORMATS`` is ordered from the most specific signature to the least, so the
first format whose ``sniff`` accepts the content wins; plain text is last.
``read()`` never lets one file's failure escape as anything but a one-line
``SourceError`` naming the file, so a batch can go on past it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ft.core.errors import FormatError, FtError, SourceError
from index.records import Record, Skipped

from . import (blog, browser_bookmarks, captions, entries, feeds, ft_json, html, kindle, opml, pdf, telegram, telegram_export,
               text, tweets, x_exports)
from .base import Input

__all__ = ["FORMATS", "Format", "detect", "expand", "format_names", "read"]


@dataclass(frozen=True)
class Format:
    """A named input format: how to recognise it and how to read it."""

    name: str
    sniff: Callable[[Input], bool]
    parse: Callable[[Input], Iterator[Record | Skipped]]
    about: str


FORMATS: list[Format] = [
    Format(pdf.NAME, pdf.sniff, pdf.parse, "PDF document or paper"),
    Format(browser_bookmarks.FIREFOX, browser_bookmarks.sniff_firefox, browser_bookmarks.parse_firefox, "Firefox places.sqlite"),
    Format(browser_bookmarks.CHROME, browser_bookmarks.sniff_chrome, browser_bookmarks.parse_chrome, "Chrome/Chromium/Brave Bookmarks"),
    Format(browser_bookmarks.NETSCAPE, browser_bookmarks.sniff_netscape, browser_bookmarks.parse_netscape, "Netscape bookmarks HTML"),
    Format(telegram_export.NAME, telegram_export.sniff, telegram_export.parse, "Telegram Desktop export (result.json)"),
    Format(feeds.NAME, feeds.sniff, feeds.parse, "RSS or Atom feed file (an arXiv API answer too)"),
    Format(opml.NAME, opml.sniff, opml.parse, "OPML feed list (feeds to follow)"),
    Format(x_exports.WEB_EXPORTER, x_exports.sniff_web_exporter, x_exports.parse_web_exporter, "twitter-web-exporter JSON"),
    Format(x_exports.BIRD, x_exports.sniff_bird, x_exports.parse_bird, "bird CLI bookmarks JSON"),
    Format(x_exports.FIELDTHEORY, x_exports.sniff_fieldtheory, x_exports.parse_fieldtheory, "fieldtheory bookmarks.jsonl"),
    Format(ft_json.NAME, ft_json.sniff, ft_json.parse, "ft item JSON / JSON Lines"),
    Format(captions.VTT, captions.sniff_vtt, captions.parse_cues, "WebVTT captions"),
    Format(captions.SRT, captions.sniff_srt, captions.parse_cues, "SubRip captions"),
    Format(captions.YOUTUBE, captions.sniff_youtube, captions.parse_youtube, "YouTube caption dump"),
    Format(captions.STAMPED, captions.sniff_stamped, captions.parse_stamped, "transcript copied with its timestamps"),
    Format(html.NAME, html.sniff, html.parse, "saved web page"),
    Format(telegram.NAME, telegram.sniff, telegram.parse, "Telegram channel web preview"),
    Format(blog.NAME, blog.sniff, blog.parse, "blog category / link roundup page"),
    Format(kindle.NAME, kindle.sniff, kindle.parse, "Kindle My Clippings.txt (highlights and notes)"),
    Format(entries.NAME, entries.sniff, entries.parse, "list of entries: links with comments, a dated journal"),
    Format(tweets.NAME, tweets.sniff, tweets.parse, "text dump of X posts"),
    Format(text.MARKDOWN, text.sniff_markdown, text.parse_markdown, "Markdown note"),
    Format(text.NAME, text.sniff, text.parse, "plain text note"),
]
_BY_NAME = {f.name: f for f in FORMATS}


def format_names() -> list[str]:
    """Names accepted by ``--as``."""
    return list(_BY_NAME)


def detect(inp: Input, forced: str | None = None) -> Format:
    """The format of ``inp``: ``forced`` if given, else the first whose signature matches."""
    if forced:
        try:
            return _BY_NAME[forced]
        except KeyError:
            raise FtError(f"unknown format {forced!r}; choose from: {', '.join(_BY_NAME)}") from None
    for fmt in FORMATS:
        if fmt.sniff(inp):
            return fmt
    raise FormatError(inp.name, "not a text file (binary content) and not a format ft reads")


def read(path: Path, forced: str | None = None, embed: Callable[[list[str]], Any] | None = None
         ) -> Iterator[Record | Skipped]:
    """Records and skipped parts of one file; a file that cannot be read raises ``SourceError``.

    ``embed`` (the library's embedder) lets a format find its items by meaning as well as by
    shape (posts in an X text dump). Errors inside a format's parser are reported, never
    propagated raw.
    """
    inp = Input(path, embed)
    try:
        fmt = detect(inp, forced)
        yield from fmt.parse(inp)
    except SourceError:
        raise
    except FtError as exc:
        raise SourceError(inp.name, str(exc)) from exc
    except OSError as exc:
        raise SourceError(inp.name, exc.strerror or str(exc)) from exc
    except Exception as exc:  # a parser bug or a library choking on hostile input
        raise SourceError(inp.name, f"could not be read ({type(exc).__name__}: {exc})") from exc


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and files under folders named (hidden ones skipped), in a stable order."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path
