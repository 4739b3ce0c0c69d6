"""What a source produces and the library stores: one ``Record`` per item.

Sources know nothing about SQLite; they turn input into records. The store
turns records into rows. Keeping the record plain (a dataclass of strings and
a JSON-able dict) is what lets every importer, the sync code and scripts feed
the same upsert.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Record", "Link", "Skipped", "merged"]

# C0 and C1 control characters other than tab and newline: content is untrusted, and an
# escape sequence in a title would reach the terminal (retitle it, write the clipboard).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: str) -> str:
    """Text without control characters; carriage returns become newlines."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass
class Link:
    """An edge from the record being imported to another record of the same batch.

    ``target`` is the other record's ``(source, source_id)``; ``rel`` says what
    the edge means: ``quotes``, ``attachment``, ``mentions_paper``...
    """

    rel: str
    target: tuple[str, str]


@dataclass
class Record:
    """One item as a source sees it, before it has a library id.

    ``(source, source_id)`` is the item's identity: importing a record with the
    same identity again updates that item instead of adding a new one. With
    ``merge`` set (one thing exported by several tools, each with different
    fields), the update is field by field: a field the record leaves empty keeps
    the stored value, and so does each meta key it leaves out or empty.
    """

    source: str
    source_id: str
    text: str
    title: str = ""
    kind: str = "note"
    url: str | None = None
    author: str | None = None
    created_at: str | None = None
    saved_at: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    merge: bool = False

    def __post_init__(self) -> None:
        self.text, self.title = clean(self.text), clean(self.title)
        self.author = clean(self.author) if self.author else self.author
        self.url = clean(self.url) if self.url else self.url

    @property
    def content_hash(self) -> str:
        """A digest of the item's content, not of when it was saved or synced.

        Two imports with equal hashes are the same thing: the second changes nothing.
        """
        payload = json.dumps(
            [self.title, self.text, self.kind, self.url, self.author, self.created_at, self.meta],
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


_MERGED = ("title", "text", "kind", "url", "author", "created_at", "saved_at")


def merged(record: Record, stored: dict[str, Any]) -> Record:
    """``record`` over the ``stored`` item's fields: the newest non-empty value of each wins."""
    fields = {name: getattr(record, name) or stored.get(name) for name in _MERGED}
    meta = {**(stored.get("meta") or {}), **{k: v for k, v in record.meta.items() if v not in (None, "", [], {})}}
    return Record(record.source, record.source_id, **fields, meta=meta, links=record.links, merge=True)


@dataclass
class Skipped:
    """A part of an input that could not be imported, with the reason in one line.

    ``expected`` marks a part that is left out by design, not because anything is wrong
    (a browser's ``place:`` query or ``file://`` link among its bookmarks): it is counted
    as skipped, and does not make the import partial.
    """

    where: str
    why: str
    expected: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.why}"
