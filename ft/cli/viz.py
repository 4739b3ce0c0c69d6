"""``ft viz``: the dashboard in the terminal, the map of ideas and the timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.columns import Columns
from rich.panel import Panel
from rich.text import Text

from ft.tasks.dashboard import dashboard, timeline

from . import render
from .app import app, library
from .options import Json

viz_app = typer.Typer(help="See the library: a dashboard, the map of ideas, topics over time.", invoke_without_command=True)
app.add_typer(viz_app, name="viz")

SPARK = "▁▂▃▄▅▆▇█"


def _bars(counts: dict, width: int = 24) -> Text:
    text = Text()
    most = max(counts.values(), default=1) or 1
    for key, n in list(counts.items())[:8]:
        text.append(f"{str(key)[:16]:<16} ", style="bold")
        text.append("█" * max(1, round(n / most * width)), style="cyan")
        text.append(f" {n}\n")
    return text


def _spark(counts: dict) -> Text:
    values = list(counts.values())
    most = max(values, default=1) or 1
    line = "".join(SPARK[min(7, int(v / most * 7))] for v in values)
    first, last = (next(iter(counts), ""), list(counts)[-1] if counts else "")
    return Text(f"{line}\n{first} … {last}")


@viz_app.callback()
def viz(ctx: typer.Context, as_json: Json = False) -> None:
    """The dashboard: sources, months, labels, authors, domains, papers vs posts, active topics, forgotten gems."""
    if ctx.invoked_subcommand:
        return
    with library(ctx) as lib:
        data = dashboard(lib)
    if as_json:
        render.emit_json(data)
        return
    gems = Text("".join(f"#{g['id']} {g['title'][:44]}\n" for g in data["forgotten_gems"]) or "—")
    panels = [
        Panel(_bars(data["by_source"]), title=f"{data['items']} items by source"),
        Panel(_spark(data["by_month"]), title="saved per month"),
        Panel(_bars(data["by_label"]) if data["by_label"] else Text("run ft classify"), title="labels"),
        Panel(_bars(data["top_authors"]), title="top authors"),
        Panel(_bars(data["top_domains"]), title="linked domains"),
        Panel(_bars(data["papers_vs_posts"]), title="papers vs posts"),
        Panel(_bars(data["recently_active_topics"]) if data["recently_active_topics"] else Text("—"), title="active, last 30 days"),
        Panel(gems, title="forgotten gems"),
    ]
    render.out.print(Columns(panels, equal=True, expand=True))


@viz_app.command("map")
def viz_map(
    ctx: typer.Context,
    html: Annotated[Optional[Path], typer.Option("--html", help="Write one self-contained offline HTML file.")] = None,
    png: Annotated[Optional[Path], typer.Option("--png", help="Write a PNG image.")] = None,
    colour: Annotated[str, typer.Option("--color", help="Colour points by cluster or by label (taxonomy topic).")] = "cluster",
    as_json: Json = False,
) -> None:
    """The map of ideas: items placed by meaning, clustered, clusters named by the local model."""
    from ft.tasks.ideamap import build_map
    from ft.tasks.mapdraw import to_html, to_png, to_terminal

    with library(ctx) as lib:
        idea = build_map(lib, lib.engine)
    if as_json:
        render.emit_json(idea.to_dict())
        return
    for path, draw in ((html, to_html), (png, to_png)):
        if path:
            draw(idea, path, colour=colour)
            render.err.print(f"wrote {path}")
    if not (html or png):
        render.out.print(to_terminal(idea, min(render.out.width, 120), 24))


@viz_app.command("timeline")
def viz_timeline(
    ctx: typer.Context,
    taxonomy: Annotated[str, typer.Option("--taxonomy", "-T", help="Whose labels to stack.")] = "topic",
    html: Annotated[Optional[Path], typer.Option("--html")] = None,
    png: Annotated[Optional[Path], typer.Option("--png")] = None,
    as_json: Json = False,
) -> None:
    """Topics over time: items per month, stacked by label (by source where unlabelled)."""
    from ft.tasks.mapdraw import timeline_html, timeline_png

    with library(ctx) as lib:
        counts = timeline(lib, taxonomy)
    if as_json or not (html or png):
        render.emit_json(counts)
    if html:
        timeline_html(counts, html)
    if png:
        timeline_png(counts, png)
