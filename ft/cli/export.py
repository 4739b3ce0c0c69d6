"""``ft export`` (a Markdown vault, BibTeX) and ``ft digest`` (what you saved lately, cited)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ft.core.errors import FtError

from . import render
from .app import app, library
from .options import Json


@app.command()
def export(
    ctx: typer.Context,
    md: Annotated[Optional[Path], typer.Option("--md", metavar="DIR",
                                               help="Write a Markdown vault (Obsidian, Logseq) into DIR.")] = None,
    bibtex: Annotated[Optional[Path], typer.Option("--bibtex", metavar="FILE",
                                                   help="Write a BibTeX entry per paper into FILE.")] = None,
    changed: Annotated[bool, typer.Option("--changed", help="Rewrite only the notes whose content changed.")] = False,
    as_json: Json = False,
) -> None:
    """Export the library as a Markdown vault and/or BibTeX (JSON Lines: ft list --json)."""
    from ft.tasks.export import export_bibtex, export_markdown

    if md is None and bibtex is None:
        raise FtError("export to what? --md DIR for a Markdown vault, --bibtex FILE for papers")
    result: dict = {}
    with library(ctx) as lib:
        if md is not None:
            result["markdown"] = export_markdown(lib, md, changed_only=changed).to_dict()
        if bibtex is not None:
            result["bibtex"] = {"file": str(bibtex), "entries": export_bibtex(lib, bibtex)}
    if as_json:
        render.emit_json(result)
        return
    if "markdown" in result:
        m = result["markdown"]
        render.out.print(f"{m['written']} notes written, {m['unchanged']} unchanged, {m['removed']} removed in "
                         f"{render.escape(m['folder'])}")
    if "bibtex" in result:
        render.out.print(f"{result['bibtex']['entries']} papers written to {render.escape(str(bibtex))}")


@app.command()
def digest(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="Saved on or after: YYYY-MM-DD or a span like 7d, 2w.")] = "7d",
    by: Annotated[str, typer.Option("--by", help="Group by label, cluster, or auto (labels when there are any).")] = "auto",
    sentences: Annotated[int, typer.Option("--sentences", min=1, max=10, help="Cited sentences per group.")] = 3,
    html: Annotated[Optional[Path], typer.Option("--html", metavar="FILE",
                                                 help="Also write a self-contained HTML page.")] = None,
    as_json: Json = False,
) -> None:
    """What you saved lately, grouped by topic: cited sentences, papers, the most-linked items."""
    from ft.tasks.digest import build_digest, to_html, to_markdown

    if by not in ("auto", "label", "cluster"):
        raise FtError(f"--by takes label, cluster or auto, not {by!r}")
    with library(ctx) as lib:
        result = build_digest(lib, since, sentences, by)
    if html is not None:
        to_html(result, html)
    if as_json:
        render.emit_json(result.to_dict())
    else:
        typer.echo(to_markdown(result))
