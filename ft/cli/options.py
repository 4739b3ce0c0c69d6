"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from ft.core.dates import parse_when
from index import Filters

Json = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]
Limit = Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most this many.")]
Source = Annotated[Optional[str], typer.Option("--source", "-s", help="Only this source (x, telegram, blog, youtube, pdf, web, notes…).")]
Author = Annotated[Optional[str], typer.Option("--author", "-a", help="Only items by this author.")]
Label = Annotated[Optional[str], typer.Option("--label", "-l", help="Only items with this label.")]
Kind = Annotated[Optional[str], typer.Option("--kind", "-k", help="Only this kind (post, paper, page, transcript, link, note…).")]
Since = Annotated[Optional[str], typer.Option("--since", help="Dated on or after: YYYY-MM-DD or a span like 30d, 2w, 6m.")]
Until = Annotated[Optional[str], typer.Option("--until", help="Dated before: YYYY-MM-DD or a span like 30d.")]


class SearchMode(str, Enum):
    keyword = "keyword"
    semantic = "semantic"
    hybrid = "hybrid"


def make_filters(
    source: str | None, author: str | None, label: str | None, kind: str | None,
    since: str | None, until: str | None,
) -> Filters:
    """The ``Filters`` for the shared filter options."""
    return Filters(
        source=source, author=author, label=label, kind=kind,
        since=parse_when(since), until=parse_when(until),
    )
