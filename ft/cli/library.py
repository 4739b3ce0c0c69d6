"""Library commands: add, search, list, show, stats, doctor — each opens the library,
calls one method and renders the result."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Optional

import typer

from ft import sources

from . import render
from .app import EXIT_PARTIAL, app, library, progress
from .options import Author, Json, Kind, Label, Limit, SearchMode, Since, Source, Until, make_filters


@app.command()
def add(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="Files, folders, http(s) URLs or arxiv:IDs.", show_default=False)],
    as_format: Annotated[
        Optional[str],
        typer.Option("--as", help=f"Force a format: {', '.join(sources.format_names())}."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Import files and folders (format detected from content), web pages and arXiv papers.

    Bad inputs are reported one line each and skipped; the rest are imported.
    Importing the same thing twice changes nothing.
    """
    with library(ctx) as lib, progress(as_json) as bar:
        task = bar.add_task("importing", total=None)

        def advance(path: Path, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=path.name[:40])

        report = lib.add_any(paths, as_format, advance)
    if as_json:
        render.emit_json({"status": report.status, "files": report.inputs, "files_failed": report.failed,
                          "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
                          "skipped": report.skipped, "problems": report.problems})
    else:
        for problem in report.problems:
            render.err.print(f"[red]✗[/] {render.escape(problem)}")
        render.out.print(
            f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged "
            f"from {report.inputs} files" + (f"; {report.skipped} skipped" if report.skipped else "")
            + (f"; {len(report.problems)} problems" if report.problems else "")
        )
    if report.status == "partial":
        raise typer.Exit(EXIT_PARTIAL)
    if report.status in ("failed", "empty"):
        if report.status == "empty" and not as_json:
            render.err.print("nothing to import")
        raise typer.Exit(1)


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to find: words, a question, or FTS5 syntax (\"phrase\", OR, NOT, prefix*).")],
    mode: Annotated[SearchMode, typer.Option("--mode", help="keyword (BM25), semantic (vectors) or hybrid (both, fused).")] = SearchMode.hybrid,
    source: Source = None, author: Author = None, label: Label = None, kind: Kind = None,
    since: Since = None, until: Until = None, limit: Limit = 10, as_json: Json = False,
) -> None:
    """Search the library by keywords and meaning, best matches first."""
    with library(ctx) as lib:
        results = lib.search(query, make_filters(source, author, label, kind, since, until), limit=limit, mode=mode.value)
        _notices(lib)
    if as_json:
        render.emit_json([hit.to_dict() for hit in results])
    elif results:
        render.hits(results)
    else:
        render.err.print(f"no matches for {query!r}")


@app.command()
def similar(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID", help="The item to start from.")],
    source: Source = None, author: Author = None, label: Label = None, kind: Kind = None,
    since: Since = None, until: Until = None, limit: Limit = 10, as_json: Json = False,
) -> None:
    """Items closest in meaning to one item."""
    with library(ctx) as lib:
        results = lib.similar(item_id, limit, make_filters(source, author, label, kind, since, until))
    if as_json:
        render.emit_json([hit.to_dict() for hit in results])
    else:
        render.hits(results)


@app.command()
def embed(
    ctx: typer.Context,
    model: Annotated[Optional[str], typer.Option(
        "--model", help="Embed with this model instead of embeddings.model in config.json: minilm-int8, minilm, "
        "a .onnx file, a sentence-transformers folder, or an OpenAI-compatible server (http://host:port). "
        "Each model's vectors are kept; search uses the configured one.")] = None,
    as_json: Json = False,
) -> None:
    """Chunk new and changed items and embed what has no vector yet (resumable)."""
    with library(ctx) as lib, progress(as_json) as bar:
        task = bar.add_task(f"embedding with {model or lib.embedder_id}", total=None)
        report = lib.embed(lambda done, total: bar.update(task, completed=done, total=total), model)
        _notices(lib)
    if as_json:
        render.emit_json(report.to_dict())
    else:
        render.out.print(
            f"{report.items_chunked} items chunked, {report.embedded} chunks embedded with {report.model} "
            f"({report.rate:.0f}/s); {report.chunks} chunks in the library"
        )


def _notices(lib) -> None:
    for note in dict.fromkeys(lib.notices):
        render.err.print(f"[dim]note: {render.escape(note)}[/]")


@app.command("list")
def list_(
    ctx: typer.Context,
    source: Source = None, author: Author = None, label: Label = None, kind: Kind = None,
    since: Since = None, until: Until = None, limit: Limit = 20, as_json: Json = False,
) -> None:
    """List items, newest first."""
    with library(ctx) as lib:
        found = lib.items(make_filters(source, author, label, kind, since, until), limit=limit)
    if as_json:
        render.emit_json([item.to_dict() for item in found])
    else:
        for item in found:
            render.item_line(item)


@app.command()
def show(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID", help="The item's id (from list or search).")],
    as_json: Json = False,
) -> None:
    """Show one item in full: text, URL, labels and links."""
    from ft.tasks.reading import stored_summary

    with library(ctx) as lib:
        item = lib.get(item_id)
        links = lib.links(item_id)
        summary = stored_summary(lib, item_id)
        lib.mark_opened(item_id)
    if as_json:
        render.emit_json({**item.to_dict(), "summary": summary,
                          "links": [{"rel": r, "direction": d, "id": o.id, "title": o.title} for r, d, o in links]})
    else:
        render.item_full(item, links, summary)


@app.command()
def stats(ctx: typer.Context, as_json: Json = False) -> None:
    """Counts by source, kind and label; dates; size."""
    with library(ctx) as lib:
        figures = lib.stats()
    if as_json:
        render.emit_json(dataclasses.asdict(figures))
    else:
        render.stats_table(figures)


@app.command()
def doctor(ctx: typer.Context, as_json: Json = False) -> None:
    """Check this installation: library path, versions, models and backends, and what is missing."""
    from ft.core.config import resolve_db
    from ft.doctor import diagnose

    checks = diagnose(resolve_db(ctx.find_root().obj))
    if as_json:
        render.emit_json([c.to_dict() for c in checks])
        return
    group = None
    for check in checks:
        if check.group != group:
            group = check.group
            render.out.print(f"[bold]{group}[/]")
        mark = "[green]✓[/]" if check.ok else "[yellow]✗[/]"
        render.out.print(f"  {mark} {check.name}: {render.escape(check.detail)}", soft_wrap=True)  # paths stay whole
    missing = [c for c in checks if not c.ok]
    if missing:
        render.out.print("\n[bold]missing[/]")
        for check in missing:
            render.out.print(f"  {check.name}: {render.escape(check.fix)}", soft_wrap=True)
    else:
        render.out.print("\nnothing missing")




papers_app = typer.Typer(help="arXiv papers: attach every paper your items link to.", no_args_is_help=True)
app.add_typer(papers_app, name="papers")


@papers_app.command("attach")
def papers_attach(ctx: typer.Context, as_json: Json = False) -> None:
    """Fetch each arXiv paper an item links to (metadata and PDF text) and link the two both ways."""
    with library(ctx) as lib:
        report = lib.attach_papers()
    if as_json:
        render.emit_json({"added": report.added, "problems": report.problems})
        return
    for problem in report.problems:
        render.err.print(f"[red]✗[/] {render.escape(problem)}")
    render.out.print(f"{report.added} papers attached")
    if report.problems:
        raise typer.Exit(EXIT_PARTIAL if report.added else 1)


@papers_app.command("watch")
def papers_watch(ctx: typer.Context, query: Annotated[str, typer.Argument(help='An arXiv query: "cat:cs.CL AND abs:speculative".')]) -> None:
    """Follow an arXiv search: ft sync papers fetches its new papers with their PDFs."""
    from ft.sync.web import watch

    with library(ctx) as lib:
        watch(lib, query)
    render.out.print(f"watching {query!r}; ft sync papers fetches new matches")
