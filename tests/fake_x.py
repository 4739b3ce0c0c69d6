"""A fake x.com on 127.0.0.1: the bookmarks page (which sets the ct0 cookie) and the GraphQL
Bookmarks query in X's response shape — three pages, a 429 before page 2, a long post, a quoted
tweet, a tombstone, and a bottom cursor that repeats at the end."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def tweet(n: int, text: str | None = None, **extra) -> dict:
    result = {
        "__typename": "Tweet", "rest_id": str(1000 + n),
        "core": {"user_results": {"result": {"rest_id": "7", "core": {"screen_name": f"author{n % 3}", "name": f"Author {n % 3}"},
                                             "legacy": {"description": "bio", "followers_count": 100 + n}}}},
        "legacy": {"id_str": str(1000 + n), "full_text": text or f"Bookmark number {n} about kernels https://t.co/x{n}",
                   "created_at": "Wed Oct 10 20:19:24 +0000 2025", "lang": "en", "favorite_count": n, "retweet_count": 1,
                   "reply_count": 0, "quote_count": 0, "bookmark_count": 2,
                   "entities": {"urls": [{"url": f"https://t.co/x{n}", "expanded_url": f"https://example.org/post/{n}?utm_source=x",
                                          "display_url": f"example.org/post/{n}"}]},
                   "extended_entities": {"media": [{"type": "photo", "media_url_https": f"https://pbs.example/{n}.jpg",
                                                    "ext_alt_text": f"figure {n}"}]}},
        "views": {"count": str(10 * n)},
    }
    result.update(extra)
    return {"entryId": f"tweet-{1000 + n}", "sortIndex": str(9999 - n),
            "content": {"itemContent": {"tweet_results": {"result": result}}}}


def cursor(value: str) -> dict:
    return {"entryId": f"cursor-bottom-{value}", "content": {"value": value}}


LONG = "A long post. " * 40
PAGES = {
    None: [tweet(1, "short version…", note_tweet={"note_tweet_results": {"result": {"text": LONG}}}),
           tweet(2, quoted_status_result={"result": tweet(50, "the quoted tweet")["content"]["itemContent"]["tweet_results"]["result"]}),
           tweet(3), cursor("c1")],
    "c1": [tweet(4), {"entryId": "tweet-1005", "content": {"itemContent": {"tweet_results": {"result": {"__typename": "TweetTombstone"}}}}},
           tweet(6), cursor("c2")],
    "c2": [tweet(7), tweet(8), cursor("c2")],
}
EXPECTED = {str(1000 + n) for n in (1, 2, 3, 4, 6, 7, 8, 50)}


class QuietServer(ThreadingHTTPServer):
    """A client killed mid-response (the crash harness does it on purpose) is not an error here."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class FakeX:
    def __init__(self, delay_page: str | None = None, delay: float = 0.0, pace: float = 0.0) -> None:
        self.requests: list[str] = []
        self.pace = pace  # seconds every Bookmarks page takes, so a kill can land on any of them
        self.rate_limited = False
        self.delay_page, self.delay = delay_page, delay
        self.newest_first: list[dict] = []  # bookmarks added "later", shown before page 1
        self.expired = False  # answer 401, as X does once the session cookies expire
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                if parts.path == "/i/bookmarks":
                    body = b"<html><body>bookmarks</body></html>"
                    self.send_response(200)
                    self.send_header("set-cookie", "ct0=csrf-token; Path=/")
                    self.send_header("content-type", "text/html")
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if parts.path.startswith("/media/"):
                    self.send_response(200)
                    self.send_header("content-type", "image/jpeg")
                    self.end_headers()
                    self.wfile.write(b"\xff\xd8fake-jpeg")
                    return
                if parts.path.endswith("/BookmarkFoldersSlice"):
                    return self._json({"data": {"viewer": {"user_results": {"result": {"bookmark_collections_slice": {
                        "items": [{"id": "f1", "name": "kernels"}]}}}}}})
                if parts.path.endswith("/BookmarkFolderTimeline"):
                    return self._json({"data": {"bookmark_collection_timeline": {"timeline": {"instructions": [
                        {"type": "TimelineAddEntries", "entries": [tweet(3), tweet(4), cursor("f-end")]}]}}}})
                if not parts.path.endswith("/Bookmarks"):
                    self.send_response(404)
                    self.end_headers()
                    return
                if fake.expired or self.headers.get("x-csrf-token") != "csrf-token":
                    self.send_response(403)
                    self.end_headers()
                    return
                variables = json.loads(parse_qs(parts.query)["variables"][0])
                page = variables.get("cursor")
                fake.requests.append(str(page))
                if page == "c1" and not fake.rate_limited:
                    fake.rate_limited = True
                    self.send_response(429)
                    self.send_header("retry-after", "1")
                    self.end_headers()
                    return
                if page == fake.delay_page and fake.delay:
                    time.sleep(fake.delay)
                time.sleep(fake.pace)
                entries = (fake.newest_first if page is None else []) + PAGES[page]
                body = json.dumps({"data": {"bookmark_timeline_v2": {"timeline": {"instructions": [
                    {"type": "TimelineClearCache"}, {"type": "TimelineAddEntries", "entries": entries}]}}}}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, data: dict) -> None:
                if fake.expired or self.headers.get("x-csrf-token") != "csrf-token":
                    self.send_response(403)
                    self.end_headers()
                    return
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
