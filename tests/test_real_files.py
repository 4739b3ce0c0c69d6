"""Issue 17: the shapes real tools write, each fixture made here from the format's documentation.

One test (or a few) per defect found by importing files from the tools people use: Firefox
tags, feed files, Telegram's full export, unnumbered and UTF-16 subtitles, typeset PDFs,
Netscape descriptions, original URLs, ordinary browser entries, twitter-web-exporter's
related ids, merged tweet exports, caption markup, and the smaller ones.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import logging
import sqlite3
from pathlib import Path

import matplotlib
import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from ft import sources
from ft.sources.base import Input
from index import Record, Skipped


def write(tmp_path: Path, name: str, content: str | bytes | dict | list) -> Path:
    path = tmp_path / name
    if isinstance(content, (dict, list)):
        content = json.dumps(content)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def records(path: Path, forced: str | None = None) -> list[Record]:
    entries = list(sources.read(path, forced))
    assert not [e for e in entries if isinstance(e, Skipped) and not e.expected], entries
    return [e for e in entries if isinstance(e, Record)]


# -- 1, 11: Firefox tags, and entries that are not web pages ---------------------------------


def places(path: Path) -> Path:
    """A places.sqlite laid out as Firefox does: fixed roots by guid, each tag a folder under
    the tags root holding an untitled row per tagged page, a smart-bookmark ``place:`` query."""
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT, title TEXT, guid TEXT);
        CREATE TABLE moz_bookmarks (id INTEGER PRIMARY KEY, type INTEGER, fk INTEGER, parent INTEGER, position INTEGER,
                                    title TEXT, dateAdded INTEGER, lastModified INTEGER, guid TEXT);
        INSERT INTO moz_places VALUES (1, 'https://www.sqlite.org/wal.html', 'WAL', 'p1'),
            (2, 'place:sort=8&maxResults=10', NULL, 'p2'), (3, 'file:///home/me/notes.txt', NULL, 'p3'),
            (4, 'apt://firefox', NULL, 'p4');
        INSERT INTO moz_bookmarks VALUES
            (1, 2, NULL, 0, 0, '', 0, 0, 'root________'), (2, 2, NULL, 1, 0, 'menu', 0, 0, 'menu________'),
            (3, 2, NULL, 1, 1, 'toolbar', 0, 0, 'toolbar_____'), (4, 2, NULL, 1, 2, 'tags', 0, 0, 'tags________'),
            (10, 1, 1, 3, 0, 'Write-ahead logging', 1700000000000000, 0, 'b1'),
            (11, 1, 2, 3, 1, 'Most Visited', 1700000000000000, 0, 'b2'),
            (12, 1, 3, 2, 0, 'my notes', 1700000000000000, 0, 'b3'),
            (13, 1, 4, 2, 1, 'install', 1700000000000000, 0, 'b4'),
            (20, 2, NULL, 4, 0, 'databases', 0, 0, 't1'), (21, 1, 1, 20, 0, NULL, 1700000000000000, 0, 't2'),
            (22, 2, NULL, 4, 1, 'to read', 0, 0, 't3'), (23, 1, 1, 22, 0, NULL, 1700000000000000, 0, 't4');
    """)
    db.commit()
    db.close()
    return path


def test_firefox_tags_are_on_the_bookmark_not_bookmarks_of_their_own(tmp_path):
    (bookmark,) = records(places(tmp_path / "places.sqlite"))
    assert bookmark.title == "Write-ahead logging" and bookmark.meta["folder"] == "toolbar"
    assert bookmark.meta["tags"] == ["databases", "to read"]


def test_place_file_and_apt_entries_are_skipped_not_problems(cli, lib, tmp_path):
    result = cli("add", str(places(tmp_path / "places.sqlite")))
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and "3 skipped" in result.output and "✗" not in result.output
    assert [i.title for i in lib.items()] == ["Write-ahead logging"]


# -- 2: feed files -----------------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<!-- written by hand from the RSS 2.0 specification -->
<rss version="2.0"><channel><title>Kernel Notes</title><link>https://kernels.example/</link>
<item><title>Tiling for shared memory</title><link>https://kernels.example/tiling</link>
<guid>https://kernels.example/tiling</guid><description>Tiles cut global reads.</description>
<pubDate>Mon, 06 Jan 2025 09:00:00 +0100</pubDate></item>
<item><title>Warp shuffles</title><link>https://kernels.example/shuffles</link>
<description>&lt;p&gt;Registers, not memory.&lt;/p&gt;</description></item>
</channel></rss>
"""

ARXIV_API = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <link href="http://arxiv.org/api/query?id_list=2501.00001" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: id_list=2501.00001</title>
  <id>http://arxiv.org/api/abc</id><updated>2025-01-02T00:00:00-05:00</updated>
  <entry>
    <id>http://arxiv.org/abs/2501.00001v2</id>
    <updated>2025-01-03T10:00:00Z</updated><published>2025-01-01T18:00:00Z</published>
    <title>Draft Trees for
      Speculative Decoding</title>
    <summary>  We grow a tree of drafts and verify it in one pass.
    </summary>
    <author><name>Ada Lovelace</name></author><author><name>Alan Turing</name></author>
    <link href="http://arxiv.org/abs/2501.00001v2" rel="alternate" type="text/html"/>
  </entry>
</feed>
"""


def test_an_rss_file_is_one_item_per_entry(tmp_path):
    path = write(tmp_path, "kernels.xml", RSS)
    assert sources.detect(Input(path)).name == "rss"
    first, second = records(path)
    assert (first.source, first.title, first.url) == ("feed", "Tiling for shared memory", "https://kernels.example/tiling")
    assert first.created_at == "2025-01-06T08:00:00Z" and first.meta["feed_title"] == "Kernel Notes"
    assert second.text == "Registers, not memory."


def test_an_arxiv_api_answer_is_papers(tmp_path):
    (paper,) = records(write(tmp_path, "query.atom", ARXIV_API))
    assert (paper.source, paper.source_id, paper.kind) == ("arxiv", "2501.00001", "paper")
    assert paper.title == "Draft Trees for Speculative Decoding" and paper.author == "Ada Lovelace, Alan Turing"
    assert paper.text == "We grow a tree of drafts and verify it in one pass."
    assert paper.url == "https://arxiv.org/abs/2501.00001" and paper.created_at == "2025-01-01T18:00:00Z"


# -- 3, 4: Telegram's full export; senders, UTC times, text links --------------------------


def message(n: int, sender: str, text: object, unix: int, local: str) -> dict:
    return {"id": n, "type": "message", "date": local, "date_unixtime": str(unix), "from": sender,
            "from_id": f"user{n}", "text": text, "text_entities": []}


FULL_EXPORT = {
    "about": "Here is the data you requested.",
    "personal_information": {"user_id": 1, "first_name": "Me"},
    "contacts": {"about": "", "list": []},
    "chats": {"about": "", "list": [
        {"name": "Reading group", "type": "private_supergroup", "id": 11, "messages": [
            message(1, "Dana", "Read the WAL chapter", 1736150400, "2025-01-06T09:00:00"),
            {"id": 2, "type": "service", "date": "2025-01-06T09:01:00", "date_unixtime": "1736150460", "actor": "Dana",
             "action": "pin_message", "text": ""}]},
        {"name": "Saved Messages", "type": "saved_messages", "id": 12, "messages": [
            message(5, "Me", ["Paper: ", {"type": "text_link", "text": "draft trees", "href": "https://arxiv.org/abs/2501.00001"},
                              " and ", {"type": "link", "text": "https://kernels.example/tiling"}], 1736236800,
                    "2025-01-07T09:00:00")]},
    ]},
    "left_chats": {"about": "", "list": [
        {"name": "Old channel", "type": "public_channel", "id": 13, "messages": [
            message(9, "Old channel", "Goodbye", 1704067200, "2024-01-01T01:00:00")]}]},
}


def test_telegram_full_export_reads_every_chat(tmp_path):
    path = write(tmp_path, "result.json", FULL_EXPORT)
    assert sources.detect(Input(path)).name == "telegram-export"
    found = records(path)
    assert [(r.source_id, r.meta["channel"]) for r in found] == [
        ("reading-group:1", "Reading group"), ("saved-messages:5", "Saved Messages"), ("old-channel:9", "Old channel")]


def test_telegram_messages_keep_sender_utc_time_and_link_targets(tmp_path):
    dana, mine, _ = records(write(tmp_path, "result.json", FULL_EXPORT))
    assert dana.author == "Dana" and dana.meta["from_id"] == "user1"
    # The exporter's clock was an hour ahead of UTC: date says 09:00, date_unixtime 08:00 UTC.
    assert dana.created_at == "2025-01-06T08:00:00Z"
    assert mine.text == "Paper: draft trees and https://kernels.example/tiling"
    assert mine.meta["links"] == ["https://arxiv.org/abs/2501.00001", "https://kernels.example/tiling"]


# -- 5, 6, 14: subtitles ---------------------------------------------------------------------

UNNUMBERED_SRT = """\
00:00:01,000 --> 00:00:04,000
The write-ahead log appends pages.

00:00:04,000 --> 00:00:07,500
A checkpoint copies them back.
"""


def test_srt_without_cue_numbers_is_detected_as_srt(tmp_path):
    path = write(tmp_path, "talk.srt", UNNUMBERED_SRT)
    assert sources.detect(Input(path)).name == "srt"
    (talk,) = records(path)
    assert talk.text == "The write-ahead log appends pages. A checkpoint copies them back."


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_subtitles_with_a_byte_order_mark_are_read(tmp_path, encoding):
    text = "1\n00:00:01,000 --> 00:00:04,000\nLe café crème coûte 3 €.\n"
    path = write(tmp_path, "film.srt", text.encode("utf-16-be").join([b"\xfe\xff", b""]) if encoding == "utf-16-be"
                 else text.encode(encoding))
    assert sources.detect(Input(path)).name == "srt"
    assert records(path)[0].text == "Le café crème coûte 3 €."


def test_windows_1252_subtitles_are_read_and_as_can_force_them(tmp_path):
    text = ("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nLa crème brûlée était déjà très réussie, n'est-ce pas ?\n\n"
            "00:00:04.000 --> 00:00:08.000\nÇa coûte 12 € — à peine plus qu'un café.\n")
    path = write(tmp_path, "film.vtt", text.encode("cp1252"))
    assert sources.detect(Input(path)).name == "vtt"
    for forced in (None, "vtt"):
        assert "crème brûlée était déjà" in records(path, forced)[0].text
        assert "Ça coûte 12 € — à peine" in records(path, forced)[0].text


def test_caption_text_keeps_comparisons_and_drops_cue_identifiers(tmp_path):
    vtt = ("WEBVTT\n\nintro\n00:00:01.000 --> 00:00:02.000\n<v Dana>The bound is 2<3,5>1,4<6 &amp; tight</v>\n\n"
           "chapter-2\n00:00:02.000 --> 00:00:03.000\n<c.yellow>second</c> <00:00:02.500>cue\n")
    (captions,) = records(write(tmp_path, "talk.vtt", vtt))
    assert captions.text == "The bound is 2<3,5>1,4<6 & tight second cue"
    srt = "1\n00:00:01,000 --> 00:00:02,000\n<i>2<3,5>1,4<6</i>\n"
    assert records(write(tmp_path, "talk.srt", srt))[0].text == "2<3,5>1,4<6"


# -- 7, 8, 15a: PDFs -----------------------------------------------------------------------------


def typeset_pdf(path: Path, lines: list[str]) -> Path:
    """A PDF whose text holds ligature glyphs, as TeX sets "fi", "ffi", "fl" (DejaVu Sans has them)."""
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", size=11)
    for line in lines:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def test_pdf_ligatures_and_line_end_hyphens_do_not_break_search(lib, tmp_path):
    path = typeset_pdf(tmp_path / "paper.pdf", ["An e\ufb03cient \ufb01gure of mis\ufb01ts and \ufb02ows,", "hyphen-",
                                                "ated at a line end."])
    assert "\ufb03" in PdfReader(path).pages[0].extract_text()  # the fixture really holds ligatures
    lib.import_path(path)
    for word in ("efficient", "figure", "misfits", "flows", "hyphenated"):
        assert [h.item.title for h in lib.search(word, mode="keyword")], word


def test_aes_encrypted_pdf_with_an_empty_password_is_read(tmp_path):
    # pypdf needs cryptography for AES: ft depends on pypdf's crypto extra, which brings it.
    assert any(req.replace(" ", "").startswith("pypdf[crypto]") for req in importlib.metadata.requires("ft"))
    plain = FPDF()
    plain.add_page()
    plain.set_font("Helvetica", size=11)
    plain.cell(0, 6, "Encrypted but open to all readers.")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(bytes(plain.output()))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    assert records(path)[0].text == "Encrypted but open to all readers."


def test_pypdf_warnings_do_not_reach_the_user(tmp_path, caplog):
    plain = FPDF()
    plain.add_page()
    plain.set_font("Helvetica", size=11)
    plain.cell(0, 6, "A file whose cross-reference offset is wrong.")
    data = bytes(plain.output())
    start = data.rindex(b"startxref") + len(b"startxref\n")
    path = write(tmp_path, "damaged.pdf", data[:start] + b"99" + data[start:])  # pypdf warns, then rebuilds
    with caplog.at_level(logging.WARNING):
        assert records(path)[0].text == "A file whose cross-reference offset is wrong."
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]


# -- 9, 10: Netscape descriptions and tags; the URL as saved ---------------------------------

NETSCAPE = """<!DOCTYPE NETSCAPE-Bookmark-file-1>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
    <DT><H3 ADD_DATE="1700000000">Linux</H3>
    <DL><p>
        <DT><A HREF="http://www.ubuntu.com/" ADD_DATE="1700000000" TAGS="linux,distro">Ubuntu</A>
        <DD>The distribution &amp; its docs
        <DT><A HREF="https://kernel.org/" ADD_DATE="1700000001">Kernel</A>
    </DL><p>
    <DT><A HREF="javascript:void(0)">bookmarklet</A>
</DL><p>
"""


def test_netscape_descriptions_and_tags_are_kept(tmp_path):
    ubuntu, kernel = records(write(tmp_path, "bookmarks.html", NETSCAPE))
    assert ubuntu.meta["description"] == "The distribution & its docs" and ubuntu.meta["tags"] == ["distro", "linux"]
    assert "The distribution & its docs" in ubuntu.text
    assert "description" not in kernel.meta and "tags" not in kernel.meta


def test_the_url_shown_is_the_one_saved_and_the_canonical_one_matches(cli, lib, tmp_path):
    assert cli("add", str(write(tmp_path, "bookmarks.html", NETSCAPE))).exit_code == 0
    (ubuntu,) = [i for i in lib.items() if i.title == "Ubuntu"]
    assert (ubuntu.url, ubuntu.source_id) == ("http://www.ubuntu.com/", "http://ubuntu.com/")
    assert "http://www.ubuntu.com/" in cli("show", str(ubuntu.id)).output
    chrome = {"roots": {"bookmark_bar": {"type": "folder", "name": "Bar", "children": [
        {"type": "url", "name": "Ubuntu", "url": "http://ubuntu.com/?utm_source=newsletter"}]}}}
    assert cli("add", str(write(tmp_path, "Bookmarks", chrome))).exit_code == 0
    assert [i.id for i in lib.items() if i.title == "Ubuntu"] == [ubuntu.id]  # both spellings are one item


# -- 12, 13: X exports -------------------------------------------------------------------------


def web_tweet(tweet_id: str, text: str, **extra) -> dict:
    return {"id": tweet_id, "created_at": "Wed Oct 10 20:19:24 +0000 2025", "full_text": text,
            "screen_name": "edge_infer", "name": "Edge Inference", **extra}


def test_web_exporter_quoted_and_retweeted_ids_link_the_items(lib, tmp_path):
    path = write(tmp_path, "twitter-Bookmarks.json", [
        web_tweet("101", "Quoting this", quoted_status="100"), web_tweet("102", "RT", retweeted_status="100"),
        web_tweet("100", "The original")])
    lib.import_path(path)
    ids = {i.source_id: i for i in lib.items(source="x")}
    assert ids["101"].meta["quoted_id"] == "100" and ids["102"].meta["retweeted_id"] == "100"
    links = lib.db.execute("SELECT s.source_id, l.rel, d.source_id FROM links l JOIN items s ON s.id = l.src "
                           "JOIN items d ON d.id = l.dst ORDER BY 1").fetchall()
    assert links == [("101", "quotes", "100"), ("102", "retweets", "100")]


def test_a_second_export_of_a_tweet_merges_field_by_field(lib, tmp_path):
    web = write(tmp_path, "twitter-Bookmarks.json", [web_tweet("200", "Nanochat is out.", views_count=9000,
                                                               bookmark_count=40, favorite_count=100)])
    bird = write(tmp_path, "bird.json", {"tweets": [{"id": "200", "text": "Nanochat is out.", "likeCount": 120,
                                                     "author": {"username": "edge_infer", "name": "Edge Inference"},
                                                     "createdAt": "2025-10-10T20:19:24Z"}]})
    fieldtheory = write(tmp_path, "bookmarks.jsonl", json.dumps(
        {"tweetId": "200", "text": "Nanochat is out.", "authorHandle": "edge_infer", "xFolder": "ml"}) + "\n" + json.dumps(
        {"tweetId": "201", "text": "another", "authorHandle": "edge_infer"}) + "\n")
    for path in (web, bird, fieldtheory):
        lib.import_path(path)
    (tweet,) = [i for i in lib.items(source="x") if i.source_id == "200"]
    assert tweet.meta["views_count"] == 9000 and tweet.meta["bookmark_count"] == 40  # from the web exporter
    assert tweet.meta["likeCount"] == 120  # from bird
    assert tweet.meta["folder"] == "ml"  # from fieldtheory
    again = lib.import_path(fieldtheory)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)  # re-imports stay idempotent


# -- 15: the smaller ones ----------------------------------------------------------------------

PAGE = """<!DOCTYPE html><html><head><title>Write-ahead logging in practice</title></head><body>
<article><h1>Write-ahead logging in practice</h1>
<div class="byline"><a href="/author/jane" rel="author" class="author">View all posts by Jane Roe</a></div>
<p>A write-ahead log lets readers see a snapshot while the single writer appends new pages to the log file.</p>
<p>Checkpoints fold the log back into the database when it grows past a threshold, which keeps reads fast.</p>
</article></body></html>"""


def test_a_page_author_is_a_name_not_the_archive_link(tmp_path):
    (page,) = records(write(tmp_path, "page.html", PAGE))
    assert page.author == "Jane Roe"


OPML = """<?xml version="1.0"?><opml version="2.0"><head><title>Subscriptions</title></head><body>
<outline text="Tech" title="Tech">
  <outline type="rss" text="Kernel Notes" xmlUrl="kernels.example/feed.xml" category="/gpu,performance"/>
</outline>
<outline type="rss" text="Top level" xmlUrl="https://top.example/rss"/>
<outline type="rss" text="Port" xmlUrl="feeds.example:8080/rss"/>
<outline type="rss" text="Script" xmlUrl="javascript:alert(1)"/>
</body></opml>"""


def test_opml_feeds_without_a_scheme_are_https_and_keep_categories(tmp_path):
    entries = list(sources.read(write(tmp_path, "subs.opml", OPML)))
    kernels, top, port, script = entries
    assert kernels.url == "https://kernels.example/feed.xml" and port.url == "https://feeds.example:8080/rss"
    assert isinstance(script, Skipped) and not script.expected and "not http(s)" in script.why
    assert kernels.meta["categories"] == ["Tech", "gpu", "performance"]
    assert "categories" not in top.meta


def test_markdown_title_from_front_matter_or_h1_and_front_matter_out_of_the_body(tmp_path):
    front = "---\ntitle: Notes on WAL\nauthor: Dana\ntags: [sqlite, storage]\ndate: 2025-01-06\n---\n\nBody text.\n"
    note = records(write(tmp_path, "wal.md", front))[0]
    assert (note.title, note.author, note.text) == ("Notes on WAL", "Dana", "Body text.")
    assert note.meta["tags"] == ["sqlite", "storage"] and note.meta["date"] == "2025-01-06"
    html_heading = "<!-- generated -->\n<h1 align=\"center\">Project &amp; notes</h1>\n\nSome text.\n"
    assert records(write(tmp_path, "README.md", html_heading))[0].title == "Project & notes"
    broken = "---\ntitle: [unclosed\n---\nText\n"
    assert records(write(tmp_path, "broken.md", broken))[0].text.startswith("---")
