"""``ft tui``: the terminal interface."""

from __future__ import annotations

import typer

from .app import app, library


@app.command()
def tui(ctx: typer.Context) -> None:
    """Browse, search, read, label and summarize in the terminal (press ? inside for keys)."""
    from tui import make_app

    with library(ctx) as lib:  # opens (and creates or migrates) the library first, with a clear error if it cannot
        path = lib.path
    make_app(path).run()
