"""A text dump of tweets (copied bookmarks): posts, mentions and t.co links, no separators.

``segment`` finds where each post starts; every post is an item with its own links, mentions
and line range, linked to the file's first post. Ids come from the file, the post's first line
number and its text, so importing the same dump again changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from index.records import Link, Record

from .base import Input, digest, first_line
from .segment import split_posts

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
    first = None
    for position, post in enumerate(split_posts(inp.text, inp.embed)):
        source_id = f"{inp.identity}#{post.start + 1}:{digest(post.text)[:10]}"
        yield Record(
            source="x",
            source_id=source_id,
            kind="post",
            title=first_line(post.text),
            text=post.text,
            saved_at=inp.saved_at,
            meta={
                "file": inp.name,
                "position": position,
                "lines": [post.start + 1, post.end],
                "links": sorted(set(_TCO.findall(post.text))),
                "mentions": sorted(set(_MENTION.findall(post.text))),
            },
            links=[Link("same_file", ("x", first))] if first else [],
        )
        first = first or source_id
