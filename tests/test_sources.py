"""Each importer on a realistic file written here, detected by content, plus bad inputs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from fpdf import FPDF

from ft import sources
from ft.core.errors import FormatError, SourceError
from ft.sources.base import Input
from index import Record, Skipped
from tests.documents import TELEGRAM

BLOG = """\
Category: systems

Things worth reading

  • Write-ahead logging

    SQLite WAL mode – sqlite.org

    Readers see a snapshot while the writer appends to the log.

    1. Checkpoints fold the log back. ↩︎

  • Vector search at home

    Brute force is fine – Example Blog

    Below a million vectors a matrix product beats an index:
    https://example.org/brute-force?utm_source=x

    • nested point one
    • nested point two

  • Sourdough maths

    Hydration explained – Bakery Notes

    Seventy percent hydration means 700 g water per kilo of flour.
"""

YOUTUBE = """\
Transcript
abc123XYZ_- • Speculative decoding on a laptop
Kind: captions
Language: en
so today we talk about speculative decoding
so today we talk about speculative decoding
a small draft model proposes tokens
0:42
and the big model verifies them in one batch.
"""

VTT = """\
WEBVTT
Kind: captions

NOTE this is a comment

00:00:01.000 --> 00:00:03.000 align:start
<c>welcome</c> to the marathon show

00:00:03.000 --> 00:00:05.000
welcome to the marathon show
long runs build the aerobic base.
"""

SRT = """\
1
00:00:01,000 --> 00:00:04,000
The write-ahead log appends pages.

2
00:00:04,000 --> 00:00:07,500
A checkpoint copies them back.
"""

HTML = """\
<!DOCTYPE html>
<html><head><title>Neural accelerators in laptops</title>
<meta name="author" content="Dana Roe">
<link rel="canonical" href="https://blog.example.org/accelerators">
</head><body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>Neural accelerators in laptops</h1>
<p>The newest laptop chips carry a small matrix engine that runs quantized networks at a few watts.</p>
<p>It is slower than a discrete graphics card but far more efficient for background tasks like
transcription and camera effects, which is why operating systems now route such work to it.</p>
<p>Developers reach it through vendor runtimes, which still differ in the operators they support.</p>
</article><footer>Copyright 2025</footer></body></html>
"""

TWEETS = """\
love this replay buffer paper from Meta:
https://t.co/JysdD9gLIn
this is crazy and we shouldn't do this!
I wrote about the GIL, as I found myself confused by how it works.
https://t.co/olRIwtjFvZ
shoutout to @addyosmani for building this
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def read(path: Path, forced: str | None = None) -> list[Record]:
    entries = list(sources.read(path, forced))
    assert not [e for e in entries if isinstance(e, Skipped)]
    return entries


def make_pdf(path: Path, title: str, paragraphs: list[str]) -> Path:
    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_author("A. Researcher")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(3)
    pdf.output(str(path))
    return path


def test_telegram_posts_are_items_titled_by_heading(tmp_path):
    posts = read(write(tmp_path, "channel.txt", TELEGRAM))
    assert [p.title for p in posts] == ["Flash attention without tears", "Why int4 needs group scales"]
    assert all(p.source == "telegram" and p.author == "Kernel Notes" for p in posts)
    assert "HBM" in posts[0].text and "1.2K views" not in posts[1].text
    assert posts[0].meta["truncated"] is True


def test_blog_entries_are_items_with_nested_bullets_kept(tmp_path):
    entries = read(write(tmp_path, "page.txt", BLOG))
    assert [e.title for e in entries] == ["Write-ahead logging", "Vector search at home", "Sourdough maths"]
    assert entries[1].url == "https://example.org/brute-force?utm_source=x"
    assert "nested point two" in entries[1].text
    assert entries[0].meta["linked_title"] == "SQLite WAL mode – sqlite.org"
    assert entries[0].meta["category"] == "systems"


def test_youtube_transcript_is_one_item_with_paragraph_text(tmp_path):
    (item,) = read(write(tmp_path, "captions.txt", YOUTUBE))
    assert (item.source, item.source_id, item.kind) == ("youtube", "abc123XYZ_-", "transcript")
    assert item.title == "Speculative decoding on a laptop"
    assert item.url == "https://www.youtube.com/watch?v=abc123XYZ_-"
    assert item.text.count("so today we talk") == 1 and "0:42" not in item.text
    assert item.text.startswith("so today we talk about speculative decoding a small draft")


def test_vtt_and_srt_lose_timings_tags_and_repeats(tmp_path):
    (vtt,) = read(write(tmp_path, "marathon_show.vtt", VTT))
    assert vtt.text == "welcome to the marathon show long runs build the aerobic base."
    assert vtt.title == "marathon show"
    (srt,) = read(write(tmp_path, "wal.srt", SRT))
    assert srt.text == "The write-ahead log appends pages. A checkpoint copies them back."


def test_html_main_text_and_metadata(tmp_path):
    (page,) = read(write(tmp_path, "saved.html", HTML))
    assert page.title == "Neural accelerators in laptops"
    assert page.author == "Dana Roe"
    assert page.url == "https://blog.example.org/accelerators"
    assert "matrix engine" in page.text and "Copyright" not in page.text


def test_pdf_text_title_and_kind(tmp_path):
    path = make_pdf(tmp_path / "paper.pdf", "Draft Trees for Faster Decoding",
                    ["Abstract", "We verify a tree of drafted tokens in one forward pass."])
    (paper,) = read(path)
    assert (paper.source, paper.kind, paper.title, paper.author) == ("pdf", "paper", "Draft Trees for Faster Decoding", "A. Researcher")
    assert "tree of drafted tokens" in paper.text


def test_markdown_and_text_notes(tmp_path):
    (md,) = read(write(tmp_path, "n.md", "intro line\n\n# Quantization formats\n\nQ4_K_M keeps k-quants."))
    assert md.title == "Quantization formats"
    (txt,) = read(write(tmp_path, "n.txt", "\n\nMeeting notes: classifier eval\nmacro-F1 was 0.81"))
    assert (txt.source, txt.title) == ("notes", "Meeting notes: classifier eval")


def test_tweet_dump_is_x_posts_with_their_links(tmp_path):
    posts = list(read(write(tmp_path, "bookmarks.txt", TWEETS)))  # where they split is test_unseen's business
    assert {p.source for p in posts} == {"x"} and "".join(p.text + "\n" for p in posts) == TWEETS
    links = sorted(link for p in posts for link in p.meta["links"])
    assert links == ["https://t.co/JysdD9gLIn", "https://t.co/olRIwtjFvZ"]
    assert [m for p in posts for m in p.meta["mentions"]] == ["addyosmani"]


ONE_LINERS = """\
the real cost of a benchmark is the week you spend believing it
hot take: most retries in production hide a bug nobody wants to own
Reminder that the profiler is free and your intuition is not.
what is the best way to learn CUDA if you only know Python? asking for a friend
I spent a weekend on a flaky test that turned out to be a timezone.
unpopular opinion: a monorepo is fine until the build takes longer than lunch
Shipping small models on phones is the most underrated trend of the year.
Good teams write docs. Great teams delete the docs nobody reads.
academia: six months to review your paper. the timeline: six hours and two bugs found
Calling it now: next year every laptop ships with an NPU nobody uses.
"""


def test_a_dump_of_posts_without_links_is_known_by_its_shape(tmp_path):
    linked = "".join(f"{line}\nhttps://example.org/{n}\n" for n, line in enumerate(ONE_LINERS.splitlines()[:6]))
    for text in (ONE_LINERS, linked):  # a link on the line after a post does not make the post run on
        posts = read(write(tmp_path, "copied.txt", text))
        assert {p.source for p in posts} == {"x"} and len(posts) > 1
        assert "".join(p.text + "\n" for p in posts) == text
    as_paragraphs = ONE_LINERS.replace("\n", "\n\n")
    wrapped = textwrap.fill(" ".join(ONE_LINERS.split()), 72) + "\n"
    for name, text in [("note.txt", as_paragraphs), ("essay.txt", wrapped), ("list.md", ONE_LINERS)]:
        (note,) = read(write(tmp_path, name, text))
        assert note.source == "notes", name


LINKS = """\
https://arxiv.org/abs/2203.15556 Chinchilla: the compute-optimal ratio, about 20 tokens per parameter
https://www.sqlite.org/wal.html how WAL mode lets readers and a writer share a database
https://github.com/ggml-org/llama.cpp the engine behind most local inference
https://example.org/kv-cache-reuse reusing the KV cache across requests, with numbers
"""

LINK_BLOCKS = """\
Chinchilla paper
https://arxiv.org/abs/2203.15556
the compute-optimal ratio, about 20 tokens per parameter

SQLite WAL
https://www.sqlite.org/wal.html
how WAL mode lets readers and a writer share a database

llama.cpp
https://github.com/ggml-org/llama.cpp
"""

JOURNAL = """\
2026-11-02
Read the Chinchilla paper again. The ratio only holds for training compute.

2026-11-03 09:30 tried speculative decoding with a 270M draft model, acceptance 0.62 on code
Much lower on prose.
Nov 5, 2026: long run in the rain, 14 km.

Monday, 9 November
Meeting with the eval team: the ticket classifier is at 0.81 macro-F1.
"""


@pytest.mark.parametrize("text, starts, titles", [
    (LINKS, [1, 2, 3, 4], ["Chinchilla: the compute-optimal ratio, about 20 tokens per parameter",
                           "how WAL mode lets readers and a writer share a database",
                           "the engine behind most local inference", "reusing the KV cache across requests, with numbers"]),
    (LINK_BLOCKS, [1, 5, 9], ["Chinchilla paper", "SQLite WAL", "llama.cpp"]),
    (JOURNAL, [1, 4, 6, 8], ["Read the Chinchilla paper again. The ratio only holds for training compute.",
                             "tried speculative decoding with a 270M draft model, acceptance 0.62 on code",
                             "long run in the rain, 14 km.",
                             "Meeting with the eval team: the ticket classifier is at 0.81 macro-F1."]),
])
def test_a_list_of_links_or_a_journal_is_one_item_per_entry(tmp_path, text, starts, titles):
    path = write(tmp_path, "list.txt", text)
    entries = read(path)
    assert [e.meta["lines"][0] for e in entries] == starts and [e.title for e in entries] == titles
    assert "\n".join(e.text for e in entries).split() == text.split()  # every word in one entry, none lost
    assert all(e.links[0].target == ("notes", entries[0].source_id) for e in entries[1:])
    assert [e.source_id for e in read(path)] == [e.source_id for e in entries]  # stable: a re-import adds nothing


def test_entries_keep_their_links_and_dates(tmp_path):
    (chinchilla, *_) = read(write(tmp_path, "links.txt", LINK_BLOCKS))
    assert (chinchilla.kind, chinchilla.url) == ("link", "https://arxiv.org/abs/2203.15556")
    first, second, *_ = read(write(tmp_path, "journal.txt", JOURNAL))
    assert (first.kind, first.created_at, second.created_at) == ("note", "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z")


def test_paragraphs_of_a_note_or_a_log_stay_one_note(tmp_path):
    log = "".join(f"2026-12-01 10:00:0{n} INFO step {n}\n" for n in range(5))
    assert [r.source for r in read(write(tmp_path, "app.txt", log))] == ["notes"]
    note = "Why small models matter\n\nThey run on a laptop.\n\nThey cost little.\n\nSee https://example.org/a for more.\n"
    path = write(tmp_path, "note.txt", note)
    (one,) = read(path)
    assert one.source == "notes" and one.text.startswith("Why small models")
    assert [e.text for e in read(path, forced="entries")] == note.strip().split("\n\n")  # forced: cut at blank lines


CAPTIONS = ["okay so today we're talking about", "small models on laptops", "and why the kv cache", "is most of the memory",
            "when the context gets long", "so the first thing", "is quantization", "four bits per weight", "is usually fine"]


@pytest.mark.parametrize("layout", ["{stamp}\n{line}", "{stamp} {line}", "[0{stamp}] {line}"])
def test_a_transcript_copied_with_its_timestamps_is_one_transcript_without_them(tmp_path, layout):
    text = "\n".join(layout.format(stamp=f"0:{4 * n:02d}", line=line) for n, line in enumerate(CAPTIONS))
    (talk,) = read(write(tmp_path, "talk.txt", text))
    assert (talk.source, talk.kind, talk.title) == ("captions", "transcript", "talk")
    assert talk.text == " ".join(CAPTIONS)


def test_a_post_listing_video_chapters_is_not_a_transcript(tmp_path):
    chapters = "".join(f"{n * 4:02d}:{n * 7 % 60:02d} {line}\n" for n, line in enumerate(CAPTIONS))
    (post,) = read(write(tmp_path, "talk.txt", "My talk is online, chapters:\n" + chapters))
    assert post.kind != "transcript" and "00:00 okay so today" in post.text


CLIPPINGS = """\ufeffThe Bitter Lesson (Rich Sutton)
- Your Highlight on page 1 | Location 5-7 | Added on Monday, 3 June 2024 10:15:22

The biggest lesson from 70 years of AI research is that general methods that leverage computation win.
==========
The Bitter Lesson (Rich Sutton)
- Your Bookmark on page 2 | Location 30 | Added on Monday, 3 June 2024 10:16:02


==========
Designing Data-Intensive Applications (Martin Kleppmann)
- Your Note on page 88 | Location 1320 | Added on Tuesday, June 4, 2024 9:02:11 PM

Compare with SQLite's WAL mode.
==========
"""


def test_kindle_clippings_are_one_item_per_highlight_or_note(tmp_path):
    path = write(tmp_path, "My Clippings.txt", CLIPPINGS)
    lesson, note = read(path)  # the bookmark has no text
    assert (lesson.source, lesson.kind, lesson.author, lesson.meta["book"]) == ("kindle", "highlight", "Rich Sutton", "The Bitter Lesson")
    assert (lesson.meta["page"], lesson.meta["location"], lesson.created_at) == ("1", "5-7", "2024-06-03T10:15:22Z")
    assert (note.kind, note.text, note.created_at) == ("note", "Compare with SQLite's WAL mode.", "2024-06-04T21:02:11Z")
    again = read(write(tmp_path, "copy.txt", CLIPPINGS + CLIPPINGS.split("==========\n", 1)[0] + "==========\n"))
    assert {r.source_id for r in again} == {lesson.source_id, note.source_id}  # a clipping appended again is the same item


def test_json_and_json_lines_items(tmp_path):
    items = [{"title": "A", "text": "alpha", "url": "https://a.example"}, {"text": "beta only"}]
    assert [r.title for r in read(write(tmp_path, "items.json", json.dumps(items)))] == ["A", "beta only"]
    listing = read(write(tmp_path, "listing.json", json.dumps({"items": items})))
    assert listing[0].source_id == "https://a.example"
    lines = "\n".join(json.dumps(i) for i in items) + "\n{broken\n"
    entries = list(sources.read(write(tmp_path, "items.jsonl", lines)))
    assert [type(e).__name__ for e in entries] == ["Record", "Record", "Skipped"]
    assert str(entries[2]).endswith("items.jsonl:3: invalid JSON (Expecting property name enclosed in double quotes at column 2)")


def test_format_is_detected_by_content_not_name(tmp_path):
    assert sources.detect(Input(write(tmp_path, "odd.md", YOUTUBE))).name == "youtube-transcript"
    assert sources.detect(Input(write(tmp_path, "page.txt", HTML))).name == "html"
    assert sources.detect(Input(write(tmp_path, "x.dat", TELEGRAM))).name == "telegram"
    assert sources.detect(Input(write(tmp_path, "chat.txt", "[12/03/2026, 10:15] Ana: hi\n"))).name == "text"  # not JSON
    assert sources.detect(Input(write(tmp_path, "broken.json", "[12, oops"))).name == "json"  # reported as bad JSON


def test_forced_format(tmp_path):
    (note,) = read(write(tmp_path, "channel.txt", TELEGRAM), forced="text")
    assert note.source == "notes"
    with pytest.raises(Exception, match="unknown format 'nope'"):
        list(sources.read(tmp_path / "channel.txt", "nope"))


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("cut.json", '[{"title": "a", "text": "b"}, {"title": "c", "te', "invalid JSON: .* the file looks truncated"),
        ("blob.txt", bytes(range(256)) * 8, "not a text file"),
        ("fake.pdf", b"%PDF-1.7\n garbage that is not a pdf", "not a readable PDF|no extractable text|could not be read"),
        ("shape.json", '{"hello": 1}', "JSON is not a list of items"),
        ("empty.html", "<html><body></body></html>", "HTML page has no readable text"),
    ],
)
def test_bad_files_raise_one_line_naming_the_file(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(SourceError, match=message) as caught:
        list(sources.read(path))
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)


def test_format_error_is_a_source_error():
    assert issubclass(FormatError, SourceError)
