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

__all__ = ["Record", "Link", "Skipped"]

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
    same identity again updates that item instead of adding a new one.
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


@dataclass
class Skipped:
    """A part of an input that could not be imported, with the reason in one line."""

    where: str
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}"
