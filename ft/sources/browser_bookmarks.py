"""Browser bookmarks: Chrome/Chromium/Brave ``Bookmarks`` JSON, Firefox ``places.sqlite``,
and the Netscape bookmarks HTML every browser exports.

One item per bookmarked http(s) URL, keyed by its canonical URL (so the same
page bookmarked in two browsers is one item) but showing the URL as saved,
titled by the bookmark's name, with its folder path, tags and description in
meta. Entries that are not web pages (``place:`` queries, ``file://``,
``javascript:``, ``apt:`` links) are skipped by design, not reported as
problems. The page itself is not fetched here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from ft.core.dates import iso
from ft.core.urls import canonical_url
from index.records import Record, Skipped

from .base import Input, load_json, printable

CHROME = "chrome-bookmarks"
FIREFOX = "firefox-places"
NETSCAPE = "netscape-bookmarks"

_WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


def _bookmark(where: str, url: object, title: object, folder: list[str], added: datetime | None,
              tags: list[str] | None = None, description: str | None = None) -> Record | Skipped:
    if not isinstance(url, str) or not url.strip():
        return Skipped(where, "bookmark has no URL")
    if not url.startswith(("http://", "https://")):
        return Skipped(where, f"not a web bookmark ({printable(url[:60])})", expected=True)
    name = title.strip() if isinstance(title, str) and title.strip() else url
    tags = sorted({t.strip() for t in tags or [] if t.strip()})
    description = (description or "").strip()
    text = "\n".join(part for part in (name, url, description, ", ".join(tags)) if part)
    return Record("bookmarks", canonical_url(url), text, title=name, kind="link", url=url, saved_at=_iso(added),
                  meta={"folder": "/".join(folder), "url": url, **({"tags": tags} if tags else {}),
                        **({"description": description} if description else {})})


# -- Chrome ---------------------------------------------------------------------------


def sniff_chrome(inp: Input) -> bool:
    head = inp.head_text.lstrip()
    return head.startswith("{") and '"roots"' in head[:4000] and '"bookmark_bar"' in head


def parse_chrome(inp: Input) -> Iterator[Record | Skipped]:
    data = load_json(inp)
    roots = data.get("roots") if isinstance(data, dict) else None
    if not isinstance(roots, dict):
        yield Skipped(inp.name, 'no "roots" object: not a Chrome Bookmarks file')
        return

    def walk(node: object, folder: list[str], where: str) -> Iterator[Record | Skipped]:
        if not isinstance(node, dict):
            yield Skipped(where, "not a bookmark node")
            return
        if node.get("type") == "url":
            try:
                added = _WEBKIT_EPOCH + timedelta(microseconds=int(node.get("date_added") or 0))
            except (TypeError, ValueError, OverflowError):  # not a number of microseconds
                added = None
            yield _bookmark(where, node.get("url"), node.get("name"), folder, added)
        for n, child in enumerate(_children(node)):
            yield from walk(child, folder + [str(node.get("name") or "")], f"{where}/{n}")

    for name, root in roots.items():
        if isinstance(root, dict):
            for n, child in enumerate(_children(root)):
                yield from walk(child, [str(root.get("name") or name)], f"{inp.name}:{printable(name)}/{n}")


def _children(node: dict) -> list:
    """A node's children; anything but a list, in a damaged file, counts as none."""
    children = node.get("children")
    return children if isinstance(children, list) else []


# -- Firefox ---------------------------------------------------------------------------


def sniff_firefox(inp: Input) -> bool:
    return inp.head.startswith(b"SQLite format 3\x00") and b"moz_bookmarks" in inp.data[:1_000_000]


def parse_firefox(inp: Input) -> Iterator[Record | Skipped]:
    """Opened read-only and immutable: works while Firefox holds the file open.

    Firefox files each tag as a folder under the "tags" root holding an untitled row per
    tagged page: those rows are tags of the page's bookmarks, not bookmarks of their own.
    """
    uri = f"file:{inp.path.resolve()}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
        rows = conn.execute(
            "SELECT b.id, b.fk, p.url, b.title, b.dateAdded, b.parent FROM moz_bookmarks b "
            "JOIN moz_places p ON p.id = b.fk WHERE b.type = 1"
        ).fetchall()
        folders = {i: (t or "", parent) for i, t, parent in conn.execute("SELECT id, title, parent FROM moz_bookmarks WHERE type = 2")}
        tags_root = _tags_root(conn)
        conn.close()
    except sqlite3.DatabaseError as exc:
        yield Skipped(inp.name, f"not a readable Firefox places database ({printable(str(exc))})")  # may quote the damage
        return
    tag_of = {i: name for i, (name, parent) in folders.items() if tags_root is not None and parent == tags_root}
    tags: dict[object, list[str]] = {}
    for _, place, _, _, _, parent in rows:
        if parent in tag_of:
            tags.setdefault(place, []).append(str(tag_of[parent]))
    for bookmark_id, place, url, title, added, parent in rows:
        if parent in tag_of:
            continue  # a tag, read above
        path, seen = [], set()
        while parent in folders and parent not in seen:
            seen.add(parent)
            name, parent = folders[parent]
            if isinstance(name, str) and name:
                path.insert(0, name)
        try:
            moment = datetime.fromtimestamp(added / 1_000_000, UTC) if isinstance(added, int) else None
        except (ValueError, OverflowError, OSError):  # a date past year 9999
            moment = None
        yield _bookmark(f"{inp.name}:bookmark {bookmark_id!r}", url, title, path, moment, tags.get(place))


def _tags_root(conn: sqlite3.Connection) -> object:
    """The id of the "tags" root folder: by its fixed guid (Firefox 4 on), else from the
    roots table older profiles have; ``None`` when the file has neither."""
    for query in ("SELECT id FROM moz_bookmarks WHERE guid = 'tags________'",
                  "SELECT folder_id FROM moz_bookmarks_roots WHERE root_name = 'tags'"):
        try:
            row = conn.execute(query).fetchone()
        except sqlite3.OperationalError:  # no such column or table in this version
            continue
        if row:
            return row[0]
    return None


# -- Netscape HTML ------------------------------------------------------------------------


def sniff_netscape(inp: Input) -> bool:
    return "NETSCAPE-Bookmark-file" in inp.head_text[:500]


class _Netscape(HTMLParser):
    """Collects links (href, title, add_date, tags, description) with their folder path from
    <DT><H3> folders, <DT><A> links and the <DD> description that may follow a link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.folders: list[str] = []
        self.pending_folder: str | None = None
        self.in_folder_title = False
        self.link: dict | None = None
        self.described: dict | None = None  # the link whose <DD> text is being read
        self.found: list[tuple[dict, list[str]]] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        self.described = None  # a description runs to the next tag
        if tag == "h3":
            self.in_folder_title, self.pending_folder = True, ""
        elif tag == "dl" and self.pending_folder is not None:
            self.folders.append(self.pending_folder)
            self.pending_folder = None
        elif tag == "a":
            self.link = {**dict(attrs), "title": "", "description": ""}
        elif tag == "dd" and self.found:
            self.described = self.found[-1][0]

    def handle_endtag(self, tag: str) -> None:
        self.described = None
        if tag == "h3":
            self.in_folder_title = False
        elif tag == "dl" and self.folders:
            self.folders.pop()
        elif tag == "a" and self.link is not None:
            self.found.append((self.link, list(self.folders)))
            self.link = None

    def handle_data(self, data: str) -> None:
        if self.in_folder_title:
            self.pending_folder = (self.pending_folder or "") + data
        elif self.link is not None:
            self.link["title"] += data
        elif self.described is not None:
            self.described["description"] += data


def parse_netscape(inp: Input) -> Iterator[Record | Skipped]:
    parser = _Netscape()
    broken = None
    try:
        parser.feed(inp.text)
        parser.close()
    except AssertionError as exc:  # html.parser's way to refuse a broken "<!" declaration; links before it stand
        broken = Skipped(inp.name, f"the rest of the file is not readable HTML ({printable(str(exc))})")
    for n, (link, folders) in enumerate(parser.found):
        try:
            added = datetime.fromtimestamp(int(link.get("add_date") or 0), UTC) if link.get("add_date") else None
        except (ValueError, OverflowError, OSError):
            added = None
        tags = (link.get("tags") or "").split(",")
        yield _bookmark(f"{inp.name}:link {n + 1}", link.get("href"), link.get("title"), folders, added, tags,
                        link["description"])
    if broken:
        yield broken
