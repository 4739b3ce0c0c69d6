"""A text dump of tweets (copied bookmarks): posts, mentions and t.co links, no separators.

A dump is known by its t.co links or @mentions, or, when its posts carry neither (one-liners,
posts copied without their links), by its shape: a plain text file of many short lines one
after another, neither paragraphs between blank lines nor prose hard-wrapped at one width.

``segment`` finds where each post starts; every post is an item with its own links, mentions
and line range, linked to the file's first post. Ids come from the file, the post's first line
number and its text, so importing the same dump again changes nothing.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator

from index.records import Link, Record

from .base import PLAIN_TEXT_SUFFIXES, Input, digest, first_line
from .segment import split_posts

NAME = "x-text"

_TCO = re.compile(r"https?://t\.co/\w+")
_MENTION = re.compile(r"(?<![\w@])@(\w{1,15})\b")
# The shape of a dump without links, set on the dev half of demo/eval/segments.jsonl: its dumps
# have no blank line, a median line of 12 words, and 7% of their lines run on into a lower-case
# next line without ending a sentence (under a quarter in all but one of 183). Single documents
# differ: notes, blog posts and transcripts leave a third of their lines blank, a page puts a
# paragraph on a line, PDF text runs on at half its lines, and text wrapped at one width ends a
# line only where the next word would not fit (0 of 61 documents and 1 of 1,604 wrapped at 60–100
# columns read as posts).
MIN_LINES = 8         # a dump holds several posts
MAX_BLANK = 0.1       # posts follow one another without blank lines between them
MAX_LINE_WORDS = 25   # its median line is a short post or a post's line, not a paragraph
MAX_RUN_ON = 0.4      # prose broken into lines: its lines end mid-sentence…
MAX_WRAPPED = 0.5     # … or end only where the next word would not fit (wrapped at one width)
_RUN_ON = re.compile(r"[a-z,-]$")


def sniff(inp: Input) -> bool:
    """Text with several t.co links, many @mentions among short lines, or a plain text file shaped
    like posts one after another (``reads_as_posts``)."""
    if not inp.is_text:
        return False
    head = inp.head_text
    return len(_TCO.findall(head)) >= 2 or (
        len(_MENTION.findall(head)) >= 4 and head.count("\n") >= 10
    ) or (inp.path.suffix.lower() in PLAIN_TEXT_SUFFIXES and reads_as_posts(head))


def reads_as_posts(text: str) -> bool:
    """Many short lines one after another, as posts copied from a page are: not paragraphs between
    blank lines (a note, an article) and not prose broken into lines (PDF text, or text wrapped at
    one width)."""
    lines = text.splitlines()
    filled = [line.strip() for line in lines if line.strip()]
    if len(filled) < MIN_LINES or (len(lines) - len(filled)) / len(lines) > MAX_BLANK:
        return False
    if statistics.median(len(line.split()) for line in filled) > MAX_LINE_WORDS:
        return False
    pairs = [(a, b) for a, b in zip(filled, filled[1:]) if not b.startswith("http")]  # a link line continues nothing
    if not pairs:
        return True
    width = max(len(line) for line in filled)
    run_on = sum(bool(_RUN_ON.search(a)) and b[0].islower() for a, b in pairs) / len(pairs)
    wrapped = sum(len(a) + 1 + len(b.split()[0]) > width for a, b in pairs) / len(pairs)
    return run_on < MAX_RUN_ON and wrapped < MAX_WRAPPED


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
