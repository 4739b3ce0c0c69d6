"""``ft login x`` and ``ft sync x``: X bookmarks through the user's own browser session.

``login`` opens a visible Chromium with a persistent profile (owner-only
folder) where the user signs in once. ``sync`` reopens that profile headless,
loads the bookmarks page, and from inside it calls the web app's own GraphQL
``Bookmarks`` query with the page's cookies, page by page, newest first:

- it stops at the newest bookmark already stored (unless ``full``), at a page
  with no tweets, or at a bottom cursor it has seen;
- after every page the cursor is saved, so ``resume`` continues where a crash
  or Ctrl-C stopped it;
- HTTP 429 waits for ``x-rate-limit-reset``/``retry-after`` (bounded), 401/403
  says the session expired.

Query id, feature flags, bearer token and base URL are configuration, because
X changes them. Tweets are parsed into the same records as the export
importers (keyed by tweet id), with long-post text, expanded t.co links,
media, engagement, author snapshot and quoted tweets as linked items.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ft.core.dates import iso
from ft.core.errors import BackendUnavailable, SourceError
from ft.core.privacy import private_dir
from ft.core.report import Report
from ft.core.settings import Settings
from ft.core.urls import canonical_url, tweet_url
from ft.sources.base import first_line
from index.db import atomic
from index.records import Link, Record
from index.store import metas, set_meta
from index.sync_state import load_state, save_state

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["XConfig", "login", "parse_page", "sync_x"]

WEB_BEARER = "AAAAAAAAAAAAAAAAAAAAANRILgAAAAAAnNwIzUejRCOuH5E6I8xnZz4puTs%3D1Zv7ttfk8LF81IUq16cHjhLTvJu4FA33AGWWjCpTnA"
FEATURES = {"graphql_timeline_v2_bookmark_timeline": True, "responsive_web_graphql_timeline_navigation_enabled": True,
            "longform_notetweets_consumption_enabled": True, "tweetypie_unmention_optimization_enabled": True}


@dataclass
class XConfig:
    base: str = "https://x.com"
    query_id: str = "QUjXply7fA7fk05FRyajEg"
    folders_query_id: str = "i78YDd0Tza-dV4SYs58kRg"  # BookmarkFoldersSlice
    folder_query_id: str = "e1T1v3tyxWvYx5vk2MXzog"  # BookmarkFolderTimeline
    bearer: str = WEB_BEARER
    features: dict[str, bool] = field(default_factory=lambda: dict(FEATURES))
    page_size: int = 20
    max_wait: float = 900.0  # the longest 429 wait honoured
    chromium: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> XConfig:
        """The ``"x"`` section of ``config.json``; keys ft does not know are ignored."""
        return cls(**{k: v for k, v in settings.x.items() if k in cls.__dataclass_fields__})


def _profile(home: Path) -> Path:
    """The browser profile folder, owner-only: a loosened one (already reported by the start-up
    check) is tightened before Chromium writes session cookies into it."""
    folder = private_dir(home / "browser" / "x")
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        os.chmod(folder, 0o700)
    return folder


def _chromium(config: XConfig) -> str:
    path = config.chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise BackendUnavailable("ft sync x needs Chromium: apt-get install chromium (or set x.chromium in config.json)")
    return path


def login(home: Path, config: XConfig) -> None:
    """A visible browser on X's login page; the session stays in the profile when it is closed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(_profile(home)), headless=False, executable_path=_chromium(config))
        page = context.new_page()
        page.goto(f"{config.base}/i/flow/login")
        page.wait_for_event("close", timeout=0)
        context.close()


# -- parsing ---------------------------------------------------------------------------


def _result(node: Any) -> dict | None:
    result = (node or {}).get("result") if isinstance(node, dict) else None
    if isinstance(result, dict) and result.get("__typename") == "TweetWithVisibilityResults":
        result = result.get("tweet")
    return result if isinstance(result, dict) else None


def _when(value: str | None) -> str | None:
    try:
        return iso(datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y"))
    except (TypeError, ValueError):
        return None


def _tweet(result: dict, order: int | None) -> list[Record]:
    """The tweet (and its quoted tweet, first) as records."""
    legacy = result.get("legacy") or {}
    user = _result((result.get("core") or {}).get("user_results")) or {}
    user_core = user.get("core") or {}
    user_legacy = user.get("legacy") or {}
    handle = user_core.get("screen_name") or user_legacy.get("screen_name")
    tweet_id = str(result.get("rest_id") or legacy.get("id_str"))
    note = ((result.get("note_tweet") or {}).get("note_tweet_results") or {}).get("result") or {}
    text = note.get("text") or legacy.get("full_text") or ""
    for url in (legacy.get("entities") or {}).get("urls") or []:
        if url.get("url") and url.get("expanded_url"):
            text = text.replace(url["url"], url["expanded_url"])
    media = [{"type": m.get("type"), "url": m.get("media_url_https"), "alt": m.get("ext_alt_text")}
             for m in (legacy.get("extended_entities") or {}).get("media") or []]
    out: list[Record] = []
    links = []
    quoted = _result(result.get("quoted_status_result"))
    if quoted and quoted.get("__typename") != "TweetTombstone" and quoted.get("legacy"):
        inner = _tweet(quoted, None)
        out.extend(inner)
        links.append(Link("quotes", ("x", inner[-1].source_id)))
    meta = {
        "tweet_id": tweet_id, "author_name": user_core.get("name") or user_legacy.get("name"),
        "author": {"id": user.get("rest_id"), "description": user_legacy.get("description"),
                   "followers": user_legacy.get("followers_count")},
        "engagement": {k: legacy.get(k) for k in ("favorite_count", "retweet_count", "reply_count", "quote_count",
                                                    "bookmark_count") if legacy.get(k) is not None},
        "views": (result.get("views") or {}).get("count"), "media": media, "lang": legacy.get("lang"),
        "links": [canonical_url(u["expanded_url"]) for u in (legacy.get("entities") or {}).get("urls") or [] if u.get("expanded_url")],
    }
    if order is not None:
        meta["bookmark_order"] = order
    out.append(Record("x", tweet_id, text, title=first_line(text), kind="post", url=tweet_url(handle, tweet_id),
                      author=handle, created_at=_when(legacy.get("created_at")), meta=meta, links=links))
    return out


def parse_page(data: dict, order_start: int = 0) -> tuple[list[Record], str | None, int, list[str]]:
    """(records, bottom cursor, tombstones, bookmarked tweet ids in order) of one Bookmarks response."""
    timeline = (((data.get("data") or {}).get("bookmark_timeline_v2") or {}).get("timeline") or {})
    records, cursor, tombstones, ids = [], None, 0, []
    for instruction in timeline.get("instructions") or []:
        if instruction.get("type") != "TimelineAddEntries":
            continue
        for entry in instruction.get("entries") or []:
            entry_id = entry.get("entryId", "")
            content = entry.get("content") or {}
            if entry_id.startswith("cursor-bottom"):
                cursor = content.get("value")
            elif entry_id.startswith("tweet-"):
                result = _result((content.get("itemContent") or {}).get("tweet_results"))
                if not result or result.get("__typename") == "TweetTombstone" or not result.get("legacy"):
                    tombstones += 1
                    continue
                tweets = _tweet(result, order_start + len(ids))
                ids.append(tweets[-1].source_id)
                records.extend(tweets)
    return records, cursor, tombstones, ids


# -- syncing ---------------------------------------------------------------------------

_FETCH = """async ([url, bearer]) => {
  const ct0 = (document.cookie.match(/(?:^|; )ct0=([^;]*)/) || [])[1] || "";
  const r = await fetch(url, {credentials: "include", headers: {
    "authorization": "Bearer " + bearer, "x-csrf-token": ct0,
    "x-twitter-auth-type": "OAuth2Session", "x-twitter-active-user": "yes"}});
  return {status: r.status, headers: Object.fromEntries(r.headers.entries()), body: await r.text()};
}"""


def _state(lib: Library) -> dict:
    cursor, state = load_state(lib.db, "x") or (None, {})
    return {"cursor": cursor, **state}


def _save(lib: Library, cursor: str | None, state: dict) -> None:
    save_state(lib.db, "x", cursor, state)


def _query(page, config: XConfig, report: Report, query_id: str, name: str, variables: dict, sleep) -> dict:
    """One GraphQL GET from inside the page, 429s waited out (bounded), 401/403 as an expired session."""
    from urllib.parse import urlencode

    url = (f"{config.base}/i/api/graphql/{query_id}/{name}?"
           + urlencode({"variables": json.dumps(variables), "features": json.dumps(config.features)}))
    for _ in range(8):
        answer = page.evaluate(_FETCH, [url, config.bearer])
        status = answer["status"]
        if status == 429:
            wait = _retry_after(answer["headers"], config.max_wait)
            report.figures["waited"] += wait
            sleep(wait)
            continue
        if status in (401, 403):
            raise SourceError("x", "session expired — run `ft login x`")
        if status >= 400:
            raise SourceError("x", f"X answered HTTP {status} to {name}")
        return json.loads(answer["body"])
    raise SourceError("x", f"still rate limited after 8 waits ({report.figures['waited']:.0f} s); try later with --continue")


def _folders(lib: Library, page, config: XConfig, report: Report, sleep) -> None:
    """Mirror bookmark folders onto items' ``meta.folders`` (folders removed on X are removed here)."""
    data = _query(page, config, report, config.folders_query_id, "BookmarkFoldersSlice", {}, sleep)
    slice_ = (((data.get("data") or {}).get("viewer") or {}).get("user_results") or {}).get("result") or {}
    folders = (slice_.get("bookmark_collections_slice") or {}).get("items") or []
    membership: dict[str, set[str]] = {}
    for folder in folders:
        cursor, seen = None, set()
        while True:
            variables = {"bookmark_collection_id": folder["id"], **({"cursor": cursor} if cursor else {})}
            body = _query(page, config, report, config.folder_query_id, "BookmarkFolderTimeline", variables, sleep)
            timeline = {"data": {"bookmark_timeline_v2": ((body.get("data") or {}).get("bookmark_collection_timeline") or {})}}
            _, bottom, _, ids = parse_page(timeline)
            for tweet_id in ids:
                membership.setdefault(tweet_id, set()).add(folder["name"])
            if not ids or bottom is None or bottom in seen:
                break
            seen.add(bottom)
            cursor = bottom
        report.figures["folders"] += 1
    with atomic(lib.db):
        for item_id, source_id, data in metas(lib.db, "x"):
            names = sorted(membership.get(source_id, set()))
            if data.get("folders") != names:
                data["folders"] = names
                set_meta(lib.db, item_id, data)


def _download_media(lib: Library, records: list[Record], report: Report) -> None:
    """Save each tweet's media under ``FT_HOME/media/x/<tweet id>/``, through the safe fetcher."""
    from .fetch import Fetcher

    fetcher = Fetcher(lib.settings.allow_hosts)
    try:
        for record in records:
            for n, media in enumerate(record.meta.get("media") or []):
                url = media.get("url")
                if not url:
                    continue
                folder = lib.path.parent / "media" / "x" / record.source_id
                target = folder / f"{n}{Path(url.split('?')[0]).suffix or '.bin'}"
                if target.exists():
                    continue
                try:
                    got = fetcher.get(url)
                except SourceError:
                    continue
                if got.status < 400:
                    private_dir(folder)
                    target.write_bytes(got.body)
                    report.figures["media"] += 1
    finally:
        fetcher.close()


def sync_x(lib: Library, config: XConfig, full: bool = False, resume: bool = False, folders: bool = False,
           media: bool = False, sleep=time.sleep) -> Report:
    """Store the account's bookmarks, newest first, stopping at the newest one a previous sync stored
    (``full``: all; ``resume``: from the saved cursor). Deleted posts count as skipped."""
    from playwright.sync_api import sync_playwright

    report = Report("x", figures={"pages": 0, "tombstones": 0, "waited": 0.0, "stop": "", "folders": 0, "media": 0})
    state = _state(lib)
    cursor = state.get("cursor") if resume else None
    seen = {cursor} if cursor else set()
    known_newest = None if full else state.get("newest")
    order = state.get("order", 0) if resume else 0
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(_profile(lib.path.parent)), headless=True, executable_path=_chromium(config),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        try:
            page = context.new_page()
            page.goto(f"{config.base}/i/bookmarks")
            first_new = None
            while True:
                variables = {"count": config.page_size, **({"cursor": cursor} if cursor else {})}
                body = _query(page, config, report, config.query_id, "Bookmarks", variables, sleep)
                records, bottom, tombstones, ids = parse_page(body, order)
                report.figures["pages"] += 1
                report.figures["tombstones"] += tombstones
                report.skipped += tombstones
                hit_known = known_newest in ids if known_newest else False
                if hit_known:
                    keep = set(ids[: ids.index(known_newest)])
                    records = [r for r in records if r.source_id in keep or r.source == "x" and r.source_id not in ids]
                if first_new is None and ids:
                    first_new = ids[0]
                result = lib.add(records)
                if media:
                    _download_media(lib, records, report)
                report.count(result)
                order += len(ids)
                done = not ids or bottom is None or bottom in seen or hit_known
                newest = first_new if (first_new and not resume) else state.get("newest") or first_new
                _save(lib, None if done else bottom, {"newest": newest, "order": order})  # checkpoint every page
                if done:
                    report.figures["stop"] = "known bookmark reached" if hit_known else "end of bookmarks"
                    break
                seen.add(bottom)
                cursor = bottom
            if folders:
                _folders(lib, page, config, report, sleep)
        finally:
            context.close()
    return report


def _retry_after(headers: dict, longest: float) -> float:
    """Seconds to wait for a 429: retry-after, else until x-rate-limit-reset, within [1, longest]."""
    if headers.get("retry-after", "").isdigit():
        wait = float(headers["retry-after"])
    elif headers.get("x-rate-limit-reset", "").isdigit():
        wait = float(headers["x-rate-limit-reset"]) - time.time()
    else:
        wait = 15.0
    return max(1.0, min(wait, longest))
