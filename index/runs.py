"""The run log: one row per command that changed the library, with its figures."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from ft.core.dates import now_iso

from .db import atomic

__all__ = ["finish_run", "start_run"]


def start_run(db: sqlite_utils.Database, command: str, args: dict[str, Any]) -> int:
    """Log ``command`` as running, committed at once so a crash leaves it visible; its id."""
    with atomic(db):
        return db.execute(
            "INSERT INTO runs (command, args, started_at, status) VALUES (?, ?, ?, 'running')",
            (command, json.dumps(args), now_iso()),
        ).lastrowid


def finish_run(db: sqlite_utils.Database, run_id: int, status: str, figures: dict[str, Any]) -> None:
    """Close the run with its status (ok, partial, interrupted, …) and figures."""
    with atomic(db):
        db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, stats = ? WHERE id = ?",
            (now_iso(), status, json.dumps(figures), run_id),
        )
