"""Assemble the long caption transcripts that the topic checklists in demo/eval are written for.

A four-hour auto-caption dump is the hardest input for a summary: lower case, no punctuation,
speaker turns marked ``>>``. Two transcripts are built in that shape, as YouTube caption dumps:

- ``mixed``: the demo library's talks and notes with the shared samples (when ../shared is
  present), joined end to end (abrupt topic jumps); its checklist is ``checklist.jsonl``;
- ``podcast``: ``podcast.txt``, one long three-way conversation written for this (a turn a
  paragraph), drifting over many topics with digressions and filler; its checklist is
  ``podcast-checklist.jsonl``;
- ``both``: the two one after the other (180 KB, the length where the chapter count is capped),
  for both checklists together.

    python demo/eval/build_transcript.py OUT.txt [mixed|podcast|both]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARTS = ["demo/library/talk-transcript.txt", "demo/library/podcast-episode.vtt", "demo/library/lecture-notes.srt",
         "../shared/samples/001_ca43430d3574a24c.txt", "demo/library/notes/utrecht-cycling.md",
         "../shared/samples/004_a800951352b27bfe.txt", "demo/library/notes/sourdough-starter.md",
         "../shared/samples/000_8af6bee434e1e1d8.txt", "demo/library/notes/quantization-formats.md"]
_CUE = re.compile(r"^(WEBVTT|\d+$|[\d:.,]+ --> |Transcript$|Kind:|Language:|\w{11} • )")
WORDS_PER_LINE = 8


def caption_lines(text: str) -> list[str]:
    """Text as auto-captions: lower case, no punctuation, a ``>>`` at each paragraph's turn."""
    lines, turn = [], True
    for raw in text.splitlines():
        if _CUE.match(raw.strip()):
            continue
        words = re.sub(r"<[^>]*>|https?://\S+|[^\w\s'%$.-]|(?<!\d)\.|\.(?!\d)", " ", raw).lower().split()
        if not words:
            turn = True
            continue
        for i in range(0, len(words), WORDS_PER_LINE):
            line = " ".join(words[i:i + WORDS_PER_LINE])
            lines.append((">> " + line) if turn else line)
            turn = False
    return lines


TRANSCRIPTS = {
    "mixed": ("lngTalk0001 • A long conversation about models, machines and everything else", PARTS),
    "podcast": ("pdcLngTbl07 • The Long Table #112: Ifeoma Adeyemi on scaling, robots, running and jollof",
                ["demo/eval/podcast.txt"]),
    # The two one after the other: near four hours, where the chapter count reaches its cap.
    "both": ("lngBoth0001 • A long conversation, then The Long Table #112", [*PARTS, "demo/eval/podcast.txt"]),
}


def main(out: Path, name: str = "mixed") -> None:
    title, parts = TRANSCRIPTS[name]
    lines = ["Transcript", title, "Kind: captions", "Language: en"]
    for part in parts:
        path = ROOT / part
        if path.is_file():
            lines += caption_lines(path.read_text(encoding="utf-8"))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), *sys.argv[2:3])
