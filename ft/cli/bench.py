"""``ft bench NAME [OPTIONS]``: a front for ``python -m benchmarks`` in a source checkout.

The benchmark code lives in ``benchmarks/`` beside the packages, above every
layer of ft, so nothing ft ships imports it; this command runs it in a child
interpreter with the same ``FT_HOME`` and passes every argument through
(``ft bench --help``, ``ft bench engine --json``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

from ft.core.errors import FtError

from .app import app, home

CHECKOUT = Path(__file__).resolve().parents[2]


@app.command("bench", add_help_option=False,
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(ctx: typer.Context) -> None:
    """Measure ft against its baselines (engine, import, embed, search, classify, summarize, parallel, written, map, tui, stress)."""
    if not (CHECKOUT / "benchmarks" / "__main__.py").is_file():
        raise FtError(f"{CHECKOUT / 'benchmarks'} is missing: ft bench runs from a source checkout of ft")
    paths = [str(CHECKOUT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "FT_HOME": str(home(ctx))}
    done = subprocess.run([sys.executable, "-m", "benchmarks", *ctx.args], env=env)
    raise typer.Exit(done.returncode)
