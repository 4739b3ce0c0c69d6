"""Export files users already have: X bookmark exports, browser bookmarks, Telegram Desktop.
Each format from a realistic fixture written here, detected by content; each malformed
variant gives one clear line per bad part and imports the rest."""

from __future__ import annotations

import json
import sqlite3

import pytest

from ft import sources
from ft.core.urls import canonical_url
from ft.sources.base import Input
from index import Record, Skipped
from tests.documents import NETSCAPE

TWEET = {
    "id": "1861234567890123456", "created_at": "Wed Oct 10 20:19:24 +0000 2025",
    "full_text": "Speculative decoding on a laptop: 2x with a 0.5B draft https://t.co/abc",
    "screen_name": "edge_infer", "name": "Edge Inference", "favorite_count": 12, "retweet_count": 3,
    "bookmark_count": 5, "quote_count": 1, "reply_count": 2, "views_count": 900,
    "media": [{"type": "photo", "url": "https://pbs.twimg.com/media/a.jpg", "original": "https://pbs.twimg.com/media/a.jpg?name=orig",
               "ext_alt_text": "a chart of tokens per second"}],
    "quoted_status": {"id": "1860000000000000001", "created_at": "Mon Oct 08 10:00:00 +0000 2025",
                      "full_text": "Prompt lookup decoding is free speed for extraction tasks.", "screen_name": "apoorv",
                      "name": "A"},
}
BIRD = {"id": "1861234567890123456", "text": TWEET["full_text"], "author": {"username": "edge_infer", "name": "Edge Inference"},
        "authorId": "42", "createdAt": "2025-10-10T20:19:24.000Z", "replyCount": 2, "retweetCount": 3, "likeCount": 12}
FIELDTHEORY = {"id": "1862000000000000002", "tweetId": "1862000000000000002", "url": "https://x.com/karpathy/status/1862000000000000002",
               "text": "Nanochat is out.", "authorHandle": "karpathy", "authorName": "Andrej", "postedAt": "2025-10-13T15:00:00Z",
               "bookmarkedAt": None, "engagement": {"likeCount": 9000}, "links": ["https://github.com/karpathy/nanochat"],
               "xFolder": "ml"}


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def split(entries):
    entries = list(entries)
    return [e for e in entries if isinstance(e, Record)], [e for e in entries if isinstance(e, Skipped)]


def test_twitter_web_exporter_with_quote_and_a_bad_record(tmp_path):
    path = write(tmp_path, "export.json", [TWEET, "not a tweet", {"id": "1", "screen_name": "x", "full_text": None}])
    assert sources.detect(Input(path)).name == "twitter-web-exporter"
    records, skipped = split(sources.read(path))
    bookmark, quoted = records
    assert (bookmark.source, bookmark.source_id, bookmark.author) == ("x", "1861234567890123456", "edge_infer")
    assert bookmark.url == "https://x.com/edge_infer/status/1861234567890123456"
    assert bookmark.created_at == "2025-10-10T20:19:24Z"
    assert bookmark.meta["media"][0]["alt"] == "a chart of tokens per second"
    assert bookmark.links[0].rel == "quotes" and bookmark.links[0].target == ("x", "1860000000000000001")
    assert quoted.source_id == "1860000000000000001"
    assert [s.where.rsplit("[", 1)[1] for s in skipped] == ["1]", "2]"]


def test_bird_and_the_same_tweet_twice_is_one_item(tmp_path, lib):
    a = write(tmp_path, "web.json", [TWEET])
    b = write(tmp_path, "bird.json", {"tweets": [BIRD], "nextCursor": None})
    assert sources.detect(Input(b)).name == "bird"
    report = lib.import_path([a, b])
    assert report.problems == []
    items = lib.items(source="x", limit=None)
    assert sorted(i.source_id for i in items) == ["1860000000000000001", "1861234567890123456"]
    bookmark = next(i for i in items if i.source_id == "1861234567890123456")
    ((rel, direction, other),) = lib.links(bookmark.id)
    assert (rel, direction, other.source_id) == ("quotes", "out", "1860000000000000001")


def test_fieldtheory_jsonl_with_a_broken_line(tmp_path):
    path = write(tmp_path, "bookmarks.jsonl", json.dumps(FIELDTHEORY) + "\n{broken\n" + json.dumps({**FIELDTHEORY, "tweetId": "1862000000000000003"}) + "\n")
    assert sources.detect(Input(path)).name == "fieldtheory"
    records, skipped = split(sources.read(path))
    assert [r.source_id for r in records] == ["1862000000000000002", "1862000000000000003"]
    assert records[0].meta["folder"] == "ml" and records[0].author == "karpathy"
    assert len(skipped) == 1 and skipped[0].where.endswith("bookmarks.jsonl:2")


def chrome(children):
    return {"checksum": "x", "roots": {"bookmark_bar": {"children": children, "name": "Bookmarks bar", "type": "folder"},
                                       "other": {"children": [], "name": "Other", "type": "folder"}}, "version": 1}


def test_chrome_bookmarks(tmp_path):
    path = write(tmp_path, "Bookmarks", chrome([
        {"type": "folder", "name": "papers", "children": [
            {"type": "url", "name": "Draft trees", "url": "https://arxiv.org/pdf/2512.24601v2?utm_source=x", "date_added": "13380000000000000"}]},
        {"type": "url", "name": "settings", "url": "chrome://settings"},
        "garbage",
    ]))
    assert sources.detect(Input(path)).name == "chrome-bookmarks"
    records, skipped = split(sources.read(path))
    (paper,) = records
    assert paper.source_id == "https://arxiv.org/abs/2512.24601" and paper.meta["folder"] == "Bookmarks bar/papers"
    assert paper.url == "https://arxiv.org/pdf/2512.24601v2?utm_source=x"  # shown as saved
    assert paper.saved_at.startswith("2024-")
    assert len(skipped) == 2 and "not a web bookmark" in skipped[0].why


def test_netscape_bookmarks_html(tmp_path):
    path = write(tmp_path, "bookmarks.html", NETSCAPE)
    assert sources.detect(Input(path)).name == "netscape-bookmarks"
    records, skipped = split(sources.read(path))
    assert [r.title for r in records] == ["A post <on> caches", "a tweet"]
    assert records[0].source_id == "https://example.org/post?id=3" and records[0].meta["folder"] == "Reading & papers"
    assert records[1].source_id == "https://x.com/user/status/5" and records[1].url == "https://twitter.com/user/status/5"
    assert len(skipped) == 1


def test_firefox_places_read_while_open(tmp_path):
    path = tmp_path / "places.sqlite"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT, title TEXT);
        CREATE TABLE moz_bookmarks (id INTEGER PRIMARY KEY, type INTEGER, fk INTEGER, parent INTEGER, title TEXT, dateAdded INTEGER);
        INSERT INTO moz_places VALUES (1, 'https://sqlite.org/wal.html', 'WAL'), (2, 'place:sort=8', NULL);
        INSERT INTO moz_bookmarks VALUES (1, 2, NULL, 0, 'root', 0), (2, 2, NULL, 1, 'toolbar', 0),
            (3, 1, 1, 2, 'Write-ahead logging', 1700000000000000), (4, 1, 2, 2, 'Recent', 1700000000000000);
    """)
    db.commit()  # the connection stays open, like Firefox's
    assert sources.detect(Input(path)).name == "firefox-places"
    records, skipped = split(sources.read(path))
    assert [(r.title, r.meta["folder"]) for r in records] == [("Write-ahead logging", "root/toolbar")]
    assert len(skipped) == 1
    db.close()


def test_telegram_desktop_export(tmp_path):
    path = write(tmp_path, "result.json", {"name": "Paper Trail", "type": "public_channel", "id": 77, "messages": [
        {"id": 1, "type": "service", "date": "2025-01-01T10:00:00", "action": "create_channel"},
        {"id": 2, "type": "message", "date": "2025-01-02T10:00:00", "text": ["FlashAttention is an ", {"type": "bold", "text": "IO"}, " paper"]},
        {"id": 3, "type": "message", "date": "2025-01-03T10:00:00", "text": ""},
        "junk",
    ]})
    assert sources.detect(Input(path)).name == "telegram-export"
    records, skipped = split(sources.read(path))
    assert [(r.source_id, r.text, r.created_at) for r in records] == [("paper-trail:2", "FlashAttention is an IO paper", "2025-01-02T10:00:00Z")]
    assert len(skipped) == 1


@pytest.mark.parametrize("url, expected", [
    ("https://www.Example.org/a/?utm_source=x&b=1#frag", "https://example.org/a?b=1"),
    ("http://mobile.twitter.com/u/status/1?s=20", "https://x.com/u/status/1"),
    ("https://arxiv.org/pdf/2512.24601v3.pdf", "https://arxiv.org/abs/2512.24601"),
    ("https://arxiv.org/abs/2512.24601v1", "https://arxiv.org/abs/2512.24601"),
    ("mailto:a@b.c", "mailto:a@b.c"),
])
def test_canonical_urls(url, expected):
    assert canonical_url(url) == expected


def test_truncated_exports_are_one_clear_line(tmp_path, lib):
    bad = write(tmp_path, "web.json", json.dumps([TWEET])[:-30])
    good = write(tmp_path, "Bookmarks", chrome([{"type": "url", "name": "ok", "url": "https://ok.example"}]))
    report = lib.import_path([bad, good])
    assert report.status == "partial" and report.added == 1
    assert len(report.problems) == 1 and "web.json" in report.problems[0] and "invalid JSON" in report.problems[0]


def test_caption_files_with_a_damaged_one(tmp_path, lib):
    folder = tmp_path / "captions"
    folder.mkdir()
    (folder / "good.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nlong runs build the aerobic base.\n")
    (folder / "good.srt").write_text("1\n00:00:01,000 --> 00:00:04,000\nThe log appends pages.\n")
    (folder / "damaged.vtt").write_bytes(b"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n" + b"\xff\xfe\x00\x00" * 50)
    report = lib.import_path(folder)
    assert report.status == "partial" and report.added == 2
    assert len(report.problems) == 1 and "damaged.vtt: not a text file (binary content)" in report.problems[0]
