"""A text dump of tweets (copied bookmarks): posts, mentions and t.co links, no separators.

Without separators the boundaries between tweets cannot be recovered
reliably, so the dump is one item; its links and mentions are kept in meta.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from index.records import Record

from .base import Input, first_line

NAME = "x-text"

_TCO = re.compile(r"https?://t\.co/\w+")
_MENTION = re.compile(r"(?<![\w@])@(\w{1,15})\b")


def sniff(inp: Input) -> bool:
    """Text with several t.co links, or many @mentions among short lines."""
    if not inp.is_text:
        return False
    head = inp.head_text
    return len(_TCO.findall(head)) >= 2 or (
        len(_MENTION.findall(head)) >= 4 and head.count("\n") >= 10
    )


def parse(inp: Input) -> Iterator[Record]:
    text = inp.text.strip()
    yield Record(
        source="x",
        source_id=inp.identity,
        kind="post",
        title=first_line(text),
        text=text,
        saved_at=inp.saved_at,
        meta={
            "file": inp.name,
            "links": sorted(set(_TCO.findall(text))),
            "mentions": sorted(set(_MENTION.findall(text))),
        },
    )
