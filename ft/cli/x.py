"""``ft login x``: the one-time sign-in ``ft sync x`` relies on."""

from __future__ import annotations

import typer

from . import render
from .app import app, home, settings

login_app = typer.Typer(help="Sign in to a source once, in a real browser window.", no_args_is_help=True)
app.add_typer(login_app, name="login")


def x_config(ctx: typer.Context):
    from ft.sync.xsync import XConfig

    return XConfig.from_settings(settings(ctx))


@login_app.command("x")
def login_x(ctx: typer.Context) -> None:
    """Open Chromium on X's login page; sign in, then close the window. The session stays in ft's profile."""
    from ft.sync.xsync import login

    login(home(ctx), x_config(ctx))
    render.out.print("signed in; now: ft sync x")
