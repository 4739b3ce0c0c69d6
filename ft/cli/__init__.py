"""The ``ft`` command: a thin layer over ``ft.Library`` and the model engines.

Commands live in one module per area and register on the shared ``app``.
"""

from __future__ import annotations

from . import bench, classify, eval, export, library, mcp, models, reading, schedule, sync, tui, viz, x  # noqa: F401  (each module registers its commands on app)
from .app import EXIT_PARTIAL, app

__all__ = ["EXIT_PARTIAL", "app", "main"]


def main() -> None:
    """Entry point of the ``ft`` console script."""
    app()
