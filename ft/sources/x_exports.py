"""X (Twitter) bookmark exports users already have: twitter-web-exporter JSON, the bird
CLI's JSON, and fieldtheory's ``bookmarks.jsonl``.

Every tweet becomes an item keyed by its tweet id (``source="x"``), so the same
tweet imported from two formats, or synced later, is one item, its fields merged
(``Record.merge``: one export's view counts and another's likes both stay). Quoted
and retweeted tweets become items of their own, linked from the bookmark with
``quotes`` / ``retweets``; twitter-web-exporter gives them as bare id strings,
kept in meta and linked when the library has that tweet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ft.core.dates import iso
from ft.core.urls import tweet_url
from index.records import Link, Record, Skipped

from .base import JSON_ERRORS, Input, first_line, load_json

WEB_EXPORTER = "twitter-web-exporter"
BIRD = "bird"
FIELDTHEORY = "fieldtheory"
_ID_IN_META = {"quotes": "quoted_id", "retweets": "retweeted_id"}  # where a related tweet's bare id is kept


def _first_object(inp: Input) -> dict | None:
    """The first JSON object of a JSON array, ``{"tweets": [...]}`` or JSON Lines file, from its head."""
    head = inp.head_text.lstrip()
    decoder = json.JSONDecoder()
    try:
        if head.startswith("["):
            start = head.index("{")
            return decoder.raw_decode(head[start:])[0]
        if head.startswith("{"):
            obj = decoder.raw_decode(head)[0]
            if isinstance(obj.get("tweets"), list) and obj["tweets"]:
                return obj["tweets"][0]
            return obj
    except (*JSON_ERRORS, AttributeError):
        return None
    return None


def sniff_web_exporter(inp: Input) -> bool:
    obj = _first_object(inp)
    return isinstance(obj, dict) and "full_text" in obj and "screen_name" in obj


def sniff_bird(inp: Input) -> bool:
    obj = _first_object(inp)
    return isinstance(obj, dict) and "text" in obj and isinstance(obj.get("author"), dict) and "username" in obj["author"]


def sniff_fieldtheory(inp: Input) -> bool:
    obj = _first_object(inp)
    return isinstance(obj, dict) and ("tweetId" in obj or "authorHandle" in obj)


def _when(value: Any) -> str | None:
    """ISO 8601 UTC from Twitter's "Wed Oct 10 20:19:24 +0000 2018", ISO strings or epoch seconds/ms."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, (int, float)):
            moment = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
        elif "+0000" in str(value) and not str(value)[:4].isdigit():
            moment = datetime.strptime(str(value), "%a %b %d %H:%M:%S %z %Y")
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return iso(moment)
    except (ValueError, OSError, OverflowError):
        return None


def _entries(inp: Input) -> Iterator[tuple[str, Any]]:
    """(where, object) for every record of a JSON array, ``{"tweets": […]}`` or JSON Lines file."""
    from .ft_json import json_lines

    head = inp.head_text.lstrip()
    if head.startswith("[") or '"tweets"' in head[:2000]:
        data = load_json(inp)
        records = data.get("tweets", []) if isinstance(data, dict) else data
        for n, record in enumerate(records if isinstance(records, list) else []):
            yield f"{inp.name}[{n}]", record
    else:
        yield from json_lines(inp.path)


def _tweet(where: str, tweet_id: Any, text: Any, handle: Any, name: Any, created: Any, meta: dict,
           related: dict[str, Any], related_parse) -> list[Record | Skipped]:
    """The tweet, and the tweets it quotes or retweets (``related``: rel -> object or id string)."""
    if not tweet_id or not isinstance(text, str):
        return [Skipped(where, "a tweet needs an id and a text")]
    tweet_id = str(tweet_id)
    handle = str(handle) if handle else None
    out: list[Record | Skipped] = []
    links = []
    for rel, other in related.items():
        if isinstance(other, dict):
            inner = related_parse(f"{where}.{rel}", other)
            out.extend(inner)
            records = [r for r in inner if isinstance(r, Record)]
            if records:
                links.append(Link(rel, ("x", records[0].source_id)))
        elif isinstance(other, (str, int)) and str(other).isdigit():
            links.append(Link(rel, ("x", str(other))))
            meta = {**meta, _ID_IN_META[rel]: str(other)}
    out.insert(0, Record("x", tweet_id, text, title=first_line(text), kind="post", url=tweet_url(handle, tweet_id),
                         author=handle, created_at=_when(created),
                         meta={**meta, "author_name": name, "tweet_id": tweet_id}, links=links, merge=True))
    return out


def _web_exporter_one(where: str, r: Any) -> list[Record | Skipped]:
    if not isinstance(r, dict):
        return [Skipped(where, "not a JSON object")]
    meta = {k: r.get(k) for k in ("favorite_count", "retweet_count", "bookmark_count", "quote_count", "reply_count",
                                  "views_count", "in_reply_to") if r.get(k) is not None}
    media = r.get("media") if isinstance(r.get("media"), list) else []
    meta["media"] = [{"type": m.get("type"), "url": m.get("original") or m.get("url"), "alt": m.get("ext_alt_text")}
                     for m in media if isinstance(m, dict)]
    return _tweet(where, r.get("id"), r.get("full_text"), r.get("screen_name"), r.get("name"), r.get("created_at"),
                  meta, {"quotes": r.get("quoted_status"), "retweets": r.get("retweeted_status")}, _web_exporter_one)


def _bird_one(where: str, r: Any) -> list[Record | Skipped]:
    if not isinstance(r, dict):
        return [Skipped(where, "not a JSON object")]
    author = r.get("author") if isinstance(r.get("author"), dict) else {}
    meta = {k: r.get(k) for k in ("replyCount", "retweetCount", "likeCount", "conversationId", "inReplyToStatusId")
            if r.get(k) is not None}
    meta["media"] = r.get("media") or []
    return _tweet(where, r.get("id"), r.get("text"), author.get("username"), author.get("name"), r.get("createdAt"),
                  meta, {"quotes": r.get("quotedTweet")}, _bird_one)


def _fieldtheory_one(where: str, r: Any) -> list[Record | Skipped]:
    if not isinstance(r, dict):
        return [Skipped(where, "not a JSON object")]
    meta = {"engagement": r.get("engagement") or {}, "links": r.get("links") or [], "folder": r.get("xFolder"),
            "bookmarked_at": r.get("bookmarkedAt"), "article_title": r.get("articleTitle")}
    text = r.get("text")
    if isinstance(text, str) and r.get("articleText"):
        text = f"{text}\n\n{r['articleText']}"
    return _tweet(where, r.get("tweetId") or r.get("id"), text, r.get("authorHandle"), r.get("authorName"),
                  r.get("postedAt"), meta, {"quotes": r.get("quotedTweet")}, _fieldtheory_one)


def _parse(inp: Input, one) -> Iterator[Record | Skipped]:
    for where, entry in _entries(inp):
        if isinstance(entry, Skipped):
            yield entry
        else:
            yield from one(where, entry)


def parse_web_exporter(inp: Input) -> Iterator[Record | Skipped]:
    return _parse(inp, _web_exporter_one)


def parse_bird(inp: Input) -> Iterator[Record | Skipped]:
    return _parse(inp, _bird_one)


def parse_fieldtheory(inp: Input) -> Iterator[Record | Skipped]:
    return _parse(inp, _fieldtheory_one)
