"""Transcripts: YouTube caption dumps, WebVTT and SubRip files, and transcripts copied from a
video or podcast page with their timestamps. One item per video.

Caption lines are short and carry no paragraph structure, and auto-captions
repeat each line in the next cue. Lines are de-duplicated, stripped of cue
markup and timestamps, and joined into paragraphs of a few sentences so the
text reads, chunks and cites well.
"""

from __future__ import annotations

import html
import re
import statistics
from collections.abc import Iterator

from index.records import Record

from .base import Input, first_line

YOUTUBE = "youtube-transcript"
VTT = "vtt"
SRT = "srt"
STAMPED = "stamped-transcript"

_TIMING = re.compile(r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}([.,]\d{1,3})?\s*-->\s*(\d{1,2}:)?\d{1,2}:\d{2}([.,]\d{1,3})?")
# The cue number is optional: several subtitle tools write SRT without it.
_SRT_START = re.compile(r"^\s*(\d+\s*\n)?\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_STAMP = re.compile(r"^\s*\(?\d{1,2}:\d{2}(:\d{2})?\)?\s*$")
# A timestamp opening a line of a transcript copied from a page ("0:04", "[01:02:03]", "(12:30)").
_LEADING_STAMP = re.compile(r"^\s*[\[(]?(?:(\d{1,2}):)?(\d{1,2}):(\d{2})[\])]?(?:\s+|$)")
STAMPED_LINES = 8     # a copied transcript has many timestamps…
STAMPED_SHARE = 0.3   # … on a good share of its lines (every other one when they stand alone)…
STAMPED_GAP = 8       # … all through it, …
STAMPED_SECONDS = 90  # … seconds apart: a post listing a video's chapters has them minutes apart
# Only the markup captions use: WebVTT's c, i, b, u, v, ruby, rt, lang and timestamp tags, SubRip's
# font. A bare "<" is text ("2<3,5>1"). No unbounded "<...>" either: quadratic on many "<".
_TAG = re.compile(r"</?(?:[cibuv]|ruby|rt|lang|font)\b[^<>]*>|<(?:\d{1,2}:)?\d{2}:\d{2}\.\d{3}>")
_NOT_CUES = ("WEBVTT", "NOTE", "STYLE", "REGION")
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


def sniff_stamped(inp: Input) -> bool:
    """A transcript copied from a video or podcast page: timestamps on their own lines or opening
    them, on at least ``STAMPED_SHARE`` of the lines, never more than ``STAMPED_GAP`` lines apart
    and mostly within ``STAMPED_SECONDS`` of each other."""
    lines = [line for line in inp.head_text.splitlines() if line.strip()]
    stamps = [(i, m) for i, line in enumerate(lines) if (m := _LEADING_STAMP.match(line))]
    if len(stamps) < max(STAMPED_LINES, STAMPED_SHARE * len(lines)):
        return False
    rows = [i for i, _ in stamps]
    gaps = [b - a for a, b in zip([-1, *rows], [*rows, len(lines)])]
    times = [int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + int(m.group(3)) for _, m in stamps]
    return max(gaps) <= STAMPED_GAP and statistics.median(b - a for a, b in zip(times, times[1:])) <= STAMPED_SECONDS


def parse_stamped(inp: Input) -> Iterator[Record]:
    """The transcript's text without its timestamps, joined into paragraphs as captions are."""
    yield _transcript(inp, [_LEADING_STAMP.sub("", line) for line in inp.text.splitlines()])


def parse_cues(inp: Input) -> Iterator[Record]:
    """WebVTT or SubRip: cue text without identifiers, numbers, timings, notes or markup."""
    yield _transcript(inp, [line for block in re.split(r"\n\s*\n", inp.text) for line in _cue_text(block.strip().splitlines())])


def _transcript(inp: Input, lines: list[str]) -> Record:
    """A file's caption lines as one transcript, titled by the file's name."""
    text = join_captions(lines)
    return Record(
        source="captions",
        source_id=inp.identity,
        kind="transcript",
        title=inp.path.stem.replace("_", " ").replace(".", " ").strip() or first_line(text),
        text=text,
        saved_at=inp.saved_at,
        meta={"file": inp.name},
    )


def _cue_text(block: list[str]) -> list[str]:
    """The text lines of one block: what follows its timing line (a cue's identifier or number
    comes before it); a header, NOTE, STYLE or REGION block has none, nor has a lone number."""
    if not block or block[0].startswith(_NOT_CUES):
        return []
    timing = next((i for i, line in enumerate(block) if _TIMING.match(line)), None)
    body = block[timing + 1:] if timing is not None else [line for line in block if not line.strip().isdigit()]
    return [html.unescape(_TAG.sub("", line.strip())) for line in body]


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
