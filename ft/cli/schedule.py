"""``ft schedule``: install, inspect and remove the timer that keeps the library synced."""

from __future__ import annotations

from typing import Annotated

import typer

from . import render
from .app import app, home, settings
from .options import Json

schedule_app = typer.Typer(help="Sync, embed and classify on a timer (systemd user timer or crontab).",
                           no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")


@schedule_app.command("install")
def schedule_install(
    ctx: typer.Context,
    every: Annotated[str, typer.Option("--every", help="How often: 30m, 6h, 1d.")] = "6h",
    via: Annotated[str, typer.Option("--via", help="systemd, cron, or auto (systemd when its user session runs).")] = "auto",
    as_json: Json = False,
) -> None:
    """Run `ft sync`, then embed and classify what is new, every so often; logs go to FT_HOME/logs/."""
    from ft.tasks.schedule import install

    installed = install(home(ctx), every, via)
    if as_json:
        render.emit_json(installed.to_dict())
        return
    render.out.print(f"ft schedule run every {installed.every} via {installed.via}: {render.escape(', '.join(installed.files))}")
    if installed.note:
        render.err.print(render.escape(installed.note))


@schedule_app.command("status")
def schedule_status(ctx: typer.Context, as_json: Json = False) -> None:
    """Where the timer is installed, and the last lines of its log."""
    from ft.tasks.schedule import status

    found = status(home(ctx))
    if as_json:
        render.emit_json(found)
        return
    where = found["systemd"] + found["cron"]
    render.out.print(render.escape("installed: " + (", ".join(where) if where else "nowhere")))
    render.out.print(render.escape(f"log: {found['log']}"))
    for line in found["last"]:
        render.out.print(render.escape(f"  {line}"))


@schedule_app.command("remove")
def schedule_remove(ctx: typer.Context) -> None:
    """Take the timer away (systemd units and the crontab line)."""
    from ft.tasks.schedule import remove

    removed = remove()
    render.out.print(render.escape("removed " + ", ".join(removed)) if removed else "no ft timer was installed")


@schedule_app.command("run")
def schedule_run(ctx: typer.Context) -> None:
    """One scheduled run now: sync, embed, classify; one log line per step (what the timer calls)."""
    from ft.tasks.schedule import run

    failed = run(settings(ctx))
    if failed:
        raise typer.Exit(1)
