"""Opening a library file: pragmas for safe concurrent use, and transactions.

Connections run in autocommit mode and every write goes through ``atomic()``,
which takes the write lock up front (``BEGIN IMMEDIATE``). With WAL and a busy
timeout, readers never block the writer and a second writer waits instead of
failing with "database is locked".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

__all__ = ["BUSY_TIMEOUT_MS", "atomic", "connect"]

BUSY_TIMEOUT_MS = 30_000


def connect(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) the SQLite file at ``path`` with ft's pragmas."""
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe with WAL
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    return sqlite_utils.Database(conn)


@contextmanager
def atomic(db: sqlite_utils.Database) -> Iterator[None]:
    """Run the block in one transaction, or in a savepoint when already inside one.

    Rolls back on any exception, including KeyboardInterrupt, so an interrupted
    import leaves the library as it was before the block.
    """
    conn = db.conn
    if conn.in_transaction:
        # SQLite matches a savepoint name to the innermost one, so one name nests.
        conn.execute("SAVEPOINT ft")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO ft")
            conn.execute("RELEASE ft")
            raise
        conn.execute("RELEASE ft")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")

