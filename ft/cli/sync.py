"""``ft sync``, ``ft feeds``: pulling reading in from where it lives, one source failing alone."""

from __future__ import annotations

from typing import Annotated

import typer

from index.store import feeds

from . import render
from .app import app, library
from .options import Json

feeds_app = typer.Typer(help="RSS and Atom feeds that ft sync follows.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")


@feeds_app.command("add")
def feeds_add(ctx: typer.Context, url: Annotated[str, typer.Argument(help="The feed's URL.")]) -> None:
    """Follow a feed (OPML files import with ft add too)."""
    from ft.sync.feeds import add_feed

    with library(ctx) as lib:
        add_feed(lib, url)
    render.out.print(f"following {url}; ft sync feeds fetches it")


@feeds_app.command("list")
def feeds_list(ctx: typer.Context, as_json: Json = False) -> None:
    """The feeds ft follows."""
    with library(ctx) as lib:
        rows = sorted(feeds(lib.db), key=lambda row: (row[1] is not None, row[1] or ""))  # by title, untitled first
    if as_json:
        render.emit_json([{"id": i, "title": t, "url": u} for i, t, u in rows])
    for i, t, u in [] if as_json else rows:
        render.out.print(f"#{i} {render.escape(t)} — {render.escape(u)}")


@app.command()
def sync(
    ctx: typer.Context,
    sources: Annotated[list[str], typer.Argument(help="Which: x, feeds, papers [default: all configured].")] = None,  # noqa: B006
    full: Annotated[bool, typer.Option("--full", help="x: fetch every bookmark, not only the new ones.")] = False,
    resume: Annotated[bool, typer.Option("--continue", help="x: continue from where an interrupted sync stopped.")] = False,
    folders: Annotated[bool, typer.Option("--folders", help="x: also mirror bookmark folders onto items.")] = False,
    media: Annotated[bool, typer.Option("--media", help="x: also download images and videos to FT_HOME/media.")] = False,
    as_json: Json = False,
) -> None:
    """Pull every configured source: X bookmarks (after ft login x), feeds, watched arXiv queries and the papers items link to."""
    with library(ctx) as lib:
        reports = lib.sync(sources, full=full, resume=resume, folders=folders, media=media)
    rows = [{"source": r.source, "new": r.added, "updated": r.updated, "skipped": r.unchanged + r.skipped,
             "failed": r.failed, "problems": r.problems, **r.figures} for r in reports]
    if as_json:
        render.emit_json(rows)
    else:
        for row in rows:
            for problem in row["problems"]:
                render.err.print(f"[red]✗[/] {render.escape(problem)}")
        render.out.print(f"{'source':<8} {'new':>5} {'updated':>8} {'skipped':>8} {'failed':>7}")
        for row in rows:
            render.out.print(f"{row['source']:<8} {row['new']:>5} {row['updated']:>8} {row['skipped']:>8} {row['failed']:>7}")
    if any(row["failed"] for row in rows):
        raise typer.Exit(1)
