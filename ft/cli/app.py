"""The ``ft`` application object, its global options and the helpers commands share.

An ``FtError`` anywhere becomes one line on stderr and exit status 1. Before any command,
private files another user could read are named on stderr, one warning line each.
Exit statuses: 0 ok, 1 error, 2 bad usage, 3 partial (some inputs failed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from typer.core import TyperGroup

from ft.core.config import load_settings, resolve_db
from ft.core.errors import FtError
from ft.core.privacy import loosened
from ft.core.settings import Settings
from ft.library import Library

from . import render

__all__ = ["EXIT_PARTIAL", "app", "home", "library", "progress"]

EXIT_PARTIAL = 3


class _Group(TyperGroup):
    """Turns every ``FtError`` into one line ``Error: …`` on stderr and exit status 1."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FtError as exc:
            render.err.print(f"Error: {render.escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(1) from exc


app = typer.Typer(
    cls=_Group,
    help="ft — your research library, local: import, search and read what you save.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Optional[Path],
        typer.Option("--home", envvar="FT_HOME", help="Library folder or .db file [default: $XDG_DATA_HOME/ft]."),
    ] = None,
) -> None:
    ctx.obj = home
    for warning in loosened(resolve_db(home)):
        render.err.print(render.escape(warning), soft_wrap=True)


def library(ctx: typer.Context) -> Library:
    """The library named by ``--home``/``FT_HOME``, opened with the command's settings."""
    return Library(ctx.find_root().obj, settings=settings(ctx))


def home(ctx: typer.Context) -> Path:
    """The ft home folder (where the library, models and caches live): the library file's folder."""
    return resolve_db(ctx.find_root().obj).parent


def settings(ctx: typer.Context) -> Settings:
    """The home's ``config.json``, read once per command and shared by everything it opens."""
    root = ctx.find_root()
    if not isinstance(root.meta.get("ft.settings"), Settings):
        root.meta["ft.settings"] = load_settings(home(ctx))
    return root.meta["ft.settings"]


def progress(quiet: bool) -> Progress:
    """A progress bar on stderr; hidden when the output is JSON or not a terminal."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=render.err, transient=True, disable=quiet or not render.err.is_terminal,
    )

