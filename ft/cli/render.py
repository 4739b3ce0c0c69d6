"""How results look in a terminal, and the one way JSON is printed."""

from __future__ import annotations

import json
import re
from typing import Any

from rich.console import Console
from rich.markup import escape

__all__ = ["emit_json", "err", "escape", "hits", "item_full", "item_line", "out", "stats_table"]
from rich.table import Table
from rich.text import Text

from index import Hit, Item, Stats

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one problem, one line

_MARK = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


def emit_json(data: Any) -> None:
    """Print ``data`` as one JSON document on stdout (plain, never wrapped or coloured)."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _byline(item: Item) -> str:
    parts = [item.source, item.kind]
    if item.author:
        parts.append(item.author)
    if item.date:
        parts.append(item.date[:10])
    if item.labels:
        parts.append(", ".join(item.labels))
    return " · ".join(parts)


def _snippet(snippet: str) -> Text:
    """A search snippet with the matched words highlighted, content escaped."""
    text = Text()
    last = 0
    for match in _MARK.finditer(snippet):
        text.append(snippet[last:match.start()].replace("\n", " "))
        text.append(match.group(1), style="bold yellow")
        last = match.end()
    text.append(snippet[last:].replace("\n", " "))
    return text


def item_line(item: Item) -> None:
    """An item as two lines: id and title, then source, kind, author, date, labels."""
    out.print(Text.assemble((f"{item.id:>6} ", "cyan"), (item.title or "(untitled)", "bold")), overflow="ellipsis", no_wrap=True)
    out.print(Text("       " + _byline(item), style="dim"), overflow="ellipsis", no_wrap=True)


def hits(results: list[Hit]) -> None:
    for hit in results:
        item_line(hit.item)
        out.print(Text("       ").append(_snippet(hit.snippet)), overflow="fold")
        out.print()


def item_full(item: Item, links: list[tuple[str, str, Item]], summary: str | None = None) -> None:
    """Everything about an item: header, URL, links, its summary, then the whole text."""
    out.print(Text(item.title or "(untitled)", style="bold"))
    out.print(Text(f"#{item.id} · " + _byline(item), style="dim"))
    if item.url:
        out.print(Text(item.url, style="underline blue"))
    for rel, direction, other in links:
        arrow = "→" if direction == "out" else "←"
        out.print(Text(f"{arrow} {rel}: #{other.id} {other.title}", style="magenta"))
    if summary:
        out.print(Text("\nSummary", style="bold"))
        out.print(Text(summary), soft_wrap=True)
    out.print()
    out.print(escape(item.text), soft_wrap=True)


def stats_table(stats: Stats) -> None:
    table = Table(title=f"{stats.items} items", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for name, counts in (("source", stats.by_source), ("kind", stats.by_kind), ("label", stats.by_label)):
        if counts:
            table.add_row(name, ", ".join(f"{k} {v}" for k, v in counts.items()))
    table.add_row("dates", f"{(stats.first_date or '—')[:10]} → {(stats.last_date or '—')[:10]}")
    table.add_row("links", str(stats.links))
    table.add_row("chunks", f"{stats.chunks} ({stats.embeddings} embedded)")
    table.add_row("last sync", stats.last_sync or "—")
    table.add_row("size", f"{stats.db_bytes / 1e6:.1f} MB")
    out.print(table)
