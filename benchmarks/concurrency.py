"""Concurrency: one writer and three readers on the same library, each its own process.

The writer does what ``ft sync`` and ``ft embed`` do: imports batches of new
items and embeds them, in a loop. The readers do what people do meanwhile:
``search`` (hybrid, then keyword), the TUI's refresh (``PRAGMA data_version``,
the sidebar's stats, the first page of the list) and the Python API
(``get``, ``links``, ``similar``). Every reader operation is timed; any
"database is locked" or "busy" error is counted, as is any other error.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import shutil
import sqlite3
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from .crash import DEMO

QUERIES = ["speculative decoding", "kv cache reuse", "quantization bits per weight", "robot arm grasping",
           "sqlite full text search", "npu laptop inference", "reward model", "long transcript summary"]


@dataclass
class Role:
    name: str
    ops: int = 0
    locked: int = 0
    errors: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    note: str = ""


def _locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _writer(home: str, seconds: float, out: str) -> None:
    import ft
    from benchmarks.storage import vocabulary, write_items

    rng = random.Random(5)
    words = vocabulary(3000, rng)
    role, batches, items, chunks = Role("writer (import + embed)"), 0, 0, 0
    end = time.monotonic() + seconds
    with ft.Library(home) as lib:
        while time.monotonic() < end:
            batch = Path(home) / f"batch{batches}.jsonl"
            write_items(batch, 100, words, rng, prefix=f"b{batches}-")
            try:
                items += lib.import_path(batch).added
                chunks += lib.embed().embedded
                role.ops += 1
            except sqlite3.OperationalError as exc:
                role.locked += _locked(exc)
                role.errors += not _locked(exc)
            batches += 1
    role.note = f"{items} items imported, {chunks} chunks embedded in {batches} rounds"
    Path(out).write_text(json.dumps(role.__dict__))


def _reader(kind: str, home: str, seconds: float, out: str) -> None:
    import ft

    rng = random.Random(hash(kind) & 0xFFFF)
    times: list[float] = []
    role = Role({"search": "search (hybrid, keyword)", "tui": "TUI refresh", "api": "Python API"}[kind])
    with ft.Library(home) as lib:
        ids = [row[0] for row in lib.db.execute("SELECT id FROM items")]
        lib.search(QUERIES[0])  # load the embedder before the clock starts, as a running reader has
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            start = time.perf_counter()
            try:
                _operation(kind, lib, ids, rng)
                role.ops += 1
                times.append(time.perf_counter() - start)
            except sqlite3.OperationalError as exc:
                role.locked += _locked(exc)
                role.errors += not _locked(exc)
    times.sort()
    role.p50_ms = 1000 * statistics.median(times)
    role.p99_ms = 1000 * times[int(0.99 * (len(times) - 1))]
    role.max_ms = 1000 * times[-1]
    Path(out).write_text(json.dumps(role.__dict__))


def _operation(kind: str, lib, ids: list[int], rng: random.Random) -> None:
    if kind == "search":
        lib.search(rng.choice(QUERIES), limit=20, mode=rng.choice(["hybrid", "keyword"]))
    elif kind == "tui":
        lib.db.execute("PRAGMA data_version").fetchone()
        lib.stats()
        lib.items(limit=200)
    else:
        item = lib.get(rng.choice(ids))
        lib.links(item.id)
        lib.similar(item.id, limit=5)


def prepare(home: Path, models: Path) -> None:
    """The demo library, imported and embedded; with the embedder's files from ``models`` when the
    crash scenarios have built them there (``crash.Harness``)."""
    import ft

    shutil.rmtree(home, ignore_errors=True)
    if models.exists():
        home.mkdir(mode=0o700, parents=True)
        shutil.copytree(models, home / "models")
    with ft.Library(home) as lib:
        lib.import_path(DEMO)
        lib.embed()


def run(seconds: float, workdir: Path) -> list[Role]:
    home = workdir / "concurrency"
    prepare(home, workdir / "models")
    ctx = multiprocessing.get_context("spawn")
    outs = {name: workdir / f"{name}.json" for name in ("writer", "search", "tui", "api")}
    processes = [ctx.Process(target=_writer, args=(str(home), seconds, str(outs["writer"])))]
    processes += [ctx.Process(target=_reader, args=(kind, str(home), seconds, str(outs[kind])))
                  for kind in ("search", "tui", "api")]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    return [Role(**json.loads(path.read_text())) if path.exists() else Role(name, errors=1, note="process died")
            for name, path in outs.items()]


def report(roles: list[Role], seconds: float) -> None:
    print(f"{seconds:.0f} s, one writer and three readers, each its own process:")
    print(f"{'role':<26} {'ops':>6} {'locked':>6} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    for r in roles:
        print(f"{r.name:<26} {r.ops:>6} {r.locked:>6} {r.errors:>6} {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} {r.max_ms:>7.1f}"
              + (f"  {r.note}" if r.note else ""))
