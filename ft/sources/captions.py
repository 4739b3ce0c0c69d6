"""Transcripts: YouTube caption dumps, WebVTT and SubRip files. One item per video.

Caption lines are short and carry no paragraph structure, and auto-captions
repeat each line in the next cue. Lines are de-duplicated, stripped of cue
markup and timestamps, and joined into paragraphs of a few sentences so the
text reads, chunks and cites well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from index.records import Record

from .base import Input, first_line

YOUTUBE = "youtube-transcript"
VTT = "vtt"
SRT = "srt"

_TIMING = re.compile(r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}([.,]\d{1,3})?\s*-->\s*(\d{1,2}:)?\d{1,2}:\d{2}([.,]\d{1,3})?")
_SRT_START = re.compile(r"^\s*\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_STAMP = re.compile(r"^\s*\(?\d{1,2}:\d{2}(:\d{2})?\)?\s*$")
_TAG = re.compile(r"<[^<>]*>")  # not <[^>]*>: a line of many "<" and no ">" would take quadratic time
_YT_TITLE = re.compile(r"^(?P<id>[\w-]{6,20})\s+•\s+(?P<title>.+)$")
_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*$")

PARAGRAPH_CHARS = 600  # a paragraph ends at the first sentence end past this length
PARAGRAPH_MAX = 1200  # ...or here, when the captions have no punctuation


def sniff_youtube(inp: Input) -> bool:
    """The caption dump header: ``Transcript``, ``<id> • <title>``, ``Kind: captions``."""
    top = [line.strip() for line in inp.head_text.splitlines()[:8] if line.strip()]
    return any(line.lower().startswith("kind: captions") for line in top) or (
        len(top) > 1 and top[0].lower() == "transcript" and bool(_YT_TITLE.match(top[1]))
    )


def sniff_vtt(inp: Input) -> bool:
    return inp.head_text.lstrip().startswith("WEBVTT")


def sniff_srt(inp: Input) -> bool:
    return bool(_SRT_START.match(inp.head_text.lstrip()))


def parse_youtube(inp: Input) -> Iterator[Record]:
    lines = inp.text.splitlines()
    video_id, title, language, body_start = None, "", None, 0
    for i, line in enumerate(lines[:12]):
        stripped = line.strip()
        if match := _YT_TITLE.match(stripped):
            video_id, title = match.group("id"), match.group("title").strip()
        elif stripped.lower().startswith("language:"):
            language = stripped.split(":", 1)[1].strip()
        elif not (stripped.lower() in ("transcript", "") or stripped.lower().startswith("kind:")):
            break  # the first caption line: the header is over
        body_start = i + 1
    text = join_captions(lines[body_start:])
    yield Record(
        source="youtube",
        source_id=video_id or inp.identity,
        kind="transcript",
        title=title or first_line(text),
        text=text,
        url=f"https://www.youtube.com/watch?v={video_id}" if video_id else None,
        saved_at=inp.saved_at,
        meta={"video_id": video_id, "language": language, "file": inp.name},
    )


def parse_cues(inp: Input) -> Iterator[Record]:
    """WebVTT or SubRip: cue text without indices, timings, notes or markup."""
    lines: list[str] = []
    skipping = False  # inside a NOTE/STYLE/REGION block or the WEBVTT header
    for raw in inp.text.splitlines():
        line = raw.strip()
        if not line:
            skipping = False
            continue
        if line.startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            skipping = True
        if skipping or _TIMING.match(line) or line.isdigit():
            continue
        lines.append(_TAG.sub("", line))
    text = join_captions(lines)
    yield Record(
        source="captions",
        source_id=inp.identity,
        kind="transcript",
        title=inp.path.stem.replace("_", " ").replace(".", " ").strip() or first_line(text),
        text=text,
        saved_at=inp.saved_at,
        meta={"file": inp.name},
    )


def join_captions(lines: list[str]) -> str:
    """Caption lines as paragraphs: repeats and bare timestamps dropped."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    previous = None
    for raw in lines:
        line = " ".join(raw.split())
        if not line or _STAMP.match(line) or line == previous:
            continue
        previous = line
        current.append(line)
        size += len(line) + 1
        if (size >= PARAGRAPH_CHARS and _SENTENCE_END.search(line)) or size >= PARAGRAPH_MAX:
            out.append(" ".join(current))
            current, size = [], 0
    if current:
        out.append(" ".join(current))
    return "\n\n".join(out)
