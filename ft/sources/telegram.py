"""The text of a Telegram channel's public web preview (``t.me/s/<channel>``).

The capture opens with the channel header (name, subscriber and media
counters, description, "Download Telegram"), then the posts, each ending in
a "Full story" line when the preview cut it short. A post's first line is
its heading when it is short and stands alone; otherwise the title is taken
from its first sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from index.records import Record

from .base import Input, shorten, slug

NAME = "telegram"

# Possessive quantifiers: with ``\s*[KkMm]?\s+`` a line of digits, a long run of spaces and no
# counter word backtracked in quadratic time.
_COUNTER = re.compile(
    r"^[\d.,]++(?:\s*+[KkMm])?+\s++(subscribers?|members?|photos?|videos?|links?|files?|posts?)$"
)
_END_OF_POST = re.compile(r"^(full story|read more|continue reading)$", re.IGNORECASE)
# View counters and times the preview prints under a post: "1.2K views 14:03", "edited 09:15".
_NOISE = re.compile(r"^([\d.,]+[KkMm]?\s*views?)?\s*(edited\s*)?\d{1,2}:\d{2}$|^[\d.,]+[KkMm]? views?$")
_HEADER_END = "download telegram"
_SENTENCE = re.compile(r"(.+?[.!?])(\s|$)")


def sniff(inp: Input) -> bool:
    """A channel header (counters, "Download Telegram") near the top, or several "Full story" ends."""
    if not inp.is_text:
        return False
    top = [line.strip() for line in inp.head_text.splitlines()[:30]]
    has_header = any(line.lower() == _HEADER_END for line in top) or sum(
        bool(_COUNTER.match(line)) for line in top[:8]
    ) >= 2
    ends = sum(bool(_END_OF_POST.match(line.strip())) for line in inp.head_text.splitlines())
    return has_header or ends >= 3


def parse(inp: Input) -> Iterator[Record]:
    lines = inp.text.splitlines()
    channel, start = _header(lines)
    posts: list[tuple[list[str], bool]] = []  # (lines, cut short by the preview)
    current: list[str] = []
    for line in lines[start:]:
        stripped = line.strip()
        if _END_OF_POST.match(stripped):
            posts.append((current, True))
            current = []
        elif not _NOISE.match(stripped):
            current.append(line.rstrip())
    posts.append((current, False))
    kept = [(post, cut) for post, cut in posts if any(line.strip() for line in post)]
    for position, (post, cut) in enumerate(kept):
        yield _post(inp, channel, position, post, cut)


def _header(lines: list[str]) -> tuple[str, int]:
    """The channel's name and the index of the first line after the header."""
    channel = lines[0].strip() if lines else ""
    for i, line in enumerate(lines[:40]):
        if line.strip().lower() == _HEADER_END:
            return channel, i + 1
    last_counter = max((i for i, line in enumerate(lines[:10]) if _COUNTER.match(line.strip())), default=-1)
    if last_counter < 0:
        return "", 0  # no header: the capture starts with a post
    # The description runs to the first blank line after the counters.
    for i in range(last_counter + 1, len(lines)):
        if not lines[i].strip() and i > last_counter + 1:
            return channel, i + 1
    return channel, last_counter + 1


def _post(inp: Input, channel: str, position: int, lines: list[str], truncated: bool) -> Record:
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    first = lines[0].strip()
    stands_alone = len(lines) == 1 or not lines[1].strip()
    if len(first) <= 160 and stands_alone and not first.endswith((".", ":", ",")):
        title, body = first, "\n".join(lines[1:]).strip()
    else:
        sentence = _SENTENCE.match(first)
        title, body = shorten(sentence.group(1) if sentence else first, 120), "\n".join(lines).strip()
    return Record(
        source="telegram",
        source_id=f"{slug(channel) or 'channel'}:{slug(title)}",
        kind="post",
        title=title,
        text=body or title,
        author=channel or None,
        saved_at=inp.saved_at,
        meta={"channel": channel, "position": position, "truncated": truncated, "file": inp.name},
    )
