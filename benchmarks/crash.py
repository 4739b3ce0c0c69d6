"""Crash safety: SIGKILL a writing ``ft`` command at a random moment, then run it again.

Every round starts from a copy of the same library, kills the command's whole
process group (the browser too, for ``sync x``) after a random delay drawn
from the length of an uncut run, checks the file, re-runs the command to the
end and compares what is stored with what the uncut run stored:

- *lost*: rows stored before the kill that are gone after it or after the re-run;
- *duplicates*: the same item, chunk, vector or label stored twice;
- *resumed*: the re-run exits 0 and ends with exactly the uncut run's rows;
- *integrity*: ``PRAGMA integrity_check`` and the FTS index check, after the
  kill and after the re-run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo" / "library"
TAXONOMY = ROOT / "demo" / "taxonomy.json"

Rows = set[tuple]


@dataclass
class Scenario:
    """One command to kill: how to build its starting library and what it stores."""

    name: str
    argv: list[str]
    resume: list[str]
    prepare: Callable[[Path, Path], None]  # (home, scratch folder) -> None
    rows: Callable[[sqlite3.Connection], Rows]
    duplicates: Callable[[sqlite3.Connection], int]
    progress: str  # a count that grows as the command commits its work
    server: Callable[[Path], Callable[[], None]] | None = None  # starts per round; returns close()


@dataclass
class Figure:
    name: str
    rounds: int = 0
    lost: int = 0
    duplicates: int = 0
    resumed: int = 0
    integrity_ok: int = 0
    mid_work: int = 0  # kills that left a partial result (neither the start nor the end state)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicates and self.resumed == self.integrity_ok == self.rounds


# -- what each command stores ---------------------------------------------------------

def item_rows(db: sqlite3.Connection) -> Rows:
    return {("item", *row) for row in db.execute("SELECT source, source_id, content_hash FROM items")}


def vector_rows(db: sqlite3.Connection) -> Rows:
    return item_rows(db) | {("vector", *row) for row in db.execute(
        "SELECT c.item_id, c.seq, c.item_hash, e.model, length(e.vector) = e.dim"
        " FROM chunks c JOIN embeddings e ON e.chunk_id = c.id")}


def label_rows(db: sqlite3.Connection) -> Rows:
    """Which items carry a topic label (the label itself may differ on a close call, since
    the model's vote is weighted by its agreement measured over the items of that run)."""
    return vector_rows(db) | {("labelled", row[0]) for row in db.execute(
        "SELECT DISTINCT item_id FROM labels WHERE taxonomy = 'topic'")}


def item_duplicates(db: sqlite3.Connection) -> int:
    return db.execute("SELECT count(*) - count(DISTINCT source || char(31) || source_id) FROM items").fetchone()[0]


def vector_duplicates(db: sqlite3.Connection) -> int:
    chunks = db.execute("SELECT count(*) - count(DISTINCT item_id || ':' || seq) FROM chunks").fetchone()[0]
    vectors = db.execute("SELECT count(*) - count(DISTINCT chunk_id || ':' || model) FROM embeddings").fetchone()[0]
    return item_duplicates(db) + chunks + vectors


def label_duplicates(db: sqlite3.Connection) -> int:
    twice = db.execute("SELECT count(*) FROM (SELECT item_id FROM labels WHERE taxonomy = 'topic'"
                       " GROUP BY item_id HAVING count(*) > 1)").fetchone()[0]
    return vector_duplicates(db) + twice


# -- the starting libraries ------------------------------------------------------------

def ft(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ft.cli", *args], env=_env(home), capture_output=True,
                          text=True, timeout=timeout)


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "FT_HOME": str(home)}


def _checked(result: subprocess.CompletedProcess) -> None:
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(result.args[3:])} exited {result.returncode}: {result.stderr.strip()[-300:]}")


def prepare_import(home: Path, scratch: Path) -> None:
    """The demo library is there already; the killed import adds 20,000 synthetic items."""
    from benchmarks.storage import vocabulary, write_items

    _checked(ft(home, "add", str(DEMO)))
    source = scratch / "import"
    source.mkdir(exist_ok=True)
    rng = random.Random(11)
    words = vocabulary(3000, rng)
    for part in range(8):
        write_items(source / f"part{part}.jsonl", 2500, words, rng, prefix=f"p{part}-")


def prepare_embed(home: Path, scratch: Path) -> None:
    """The demo library three times over (123 items, several embedding batches), nothing
    embedded yet."""
    _checked(ft(home, "add", str(DEMO)))
    copies = scratch / "copies.jsonl"
    _write_copies(home, copies, 2)
    _checked(ft(home, "add", str(copies)))


def _write_copies(home: Path, path: Path, copies: int) -> None:
    """The library's items again as ft JSON Lines, each copy a distinct item."""
    import ft as library

    with library.Library(home) as lib, path.open("w") as out:
        for item in lib.items(limit=None):
            for n in range(1, copies + 1):
                out.write(json.dumps({"source": "copies", "source_id": f"{item.id}-{n}", "kind": item.kind,
                                      "title": item.title, "text": f"{item.text}\n\n(copy {n})"}) + "\n")


def prepare_classify(home: Path, scratch: Path) -> None:
    prepare_embed(home, scratch)
    _checked(ft(home, "embed"))


def prepare_sync(home: Path, scratch: Path) -> None:
    _checked(ft(home, "add", str(DEMO)))
    (home / "browser" / "x").mkdir(parents=True, exist_ok=True, mode=0o700)


def fake_x(home: Path) -> Callable[[], None]:
    """A fake x.com for this round (a fresh one: its 429 comes once per server)."""
    from tests.fake_x import FakeX

    server = FakeX(pace=0.4)
    config = json.loads((home / "config.json").read_text()) if (home / "config.json").exists() else {}
    config["x"] = {"base": server.url, "page_size": 3}
    (home / "config.json").write_text(json.dumps(config))
    return server.close


SCENARIOS = {
    "import": Scenario("ft add (20,000 items)", ["add", "{scratch}/import"], ["add", "{scratch}/import"],
                       prepare_import, item_rows, item_duplicates, "SELECT count(*) FROM items"),
    "sync-x": Scenario("ft sync x (fake x.com)", ["sync", "x"], ["sync", "x", "--continue"],
                       prepare_sync, item_rows, item_duplicates, "SELECT count(*) FROM items", server=fake_x),
    "embed": Scenario("ft embed", ["embed"], ["embed"], prepare_embed, vector_rows, vector_duplicates,
                      "SELECT count(*) FROM embeddings"),
    "classify": Scenario("ft classify", ["classify", "--taxonomy-file", str(TAXONOMY)],
                         ["classify", "--taxonomy-file", str(TAXONOMY)], prepare_classify, label_rows, label_duplicates,
                         "SELECT count(*) FROM classified"),
}


# -- the harness -----------------------------------------------------------------------

def integrity(path: Path) -> str:
    """"ok", or what SQLite found wrong with the file or its full-text index."""
    db = sqlite3.connect(path)
    try:
        found = db.execute("PRAGMA integrity_check").fetchone()[0]
        if found == "ok":
            db.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")
        return found
    except sqlite3.DatabaseError as exc:
        return f"FTS: {exc}"
    finally:
        db.close()


def read(path: Path, scenario: Scenario) -> tuple[Rows, int]:
    db = sqlite3.connect(path)
    try:
        return scenario.rows(db), scenario.duplicates(db)
    finally:
        db.close()


def database(home: Path) -> Path:
    return home / "library.db"


class Harness:
    """Kills one scenario's command ``rounds`` times; the base library is built once."""

    def __init__(self, key: str, workdir: Path, seed: int = 1) -> None:
        self.scenario = SCENARIOS[key]
        self.workdir = workdir / key
        self.rng = random.Random(seed)
        self.window = (0.1, 0.1)  # seconds into a run between its first and last commit (set by setup)

    def argv(self, args: list[str]) -> list[str]:
        return [a.replace("{scratch}", str(self.workdir)) for a in args]

    def setup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir.mkdir(parents=True)
        self.base = self.workdir / "base"
        shared = self.workdir.parent / "models"  # the embedder's files, built once for every scenario
        if shared.exists():
            self.base.mkdir(mode=0o700)
            shutil.copytree(shared, self.base / "models")
        self.scenario.prepare(self.base, self.workdir)
        self.before, _ = read(database(self.base), self.scenario)
        self.duration, self.expected = self.reference()
        models = self.workdir / "reference" / "models"
        if models.exists() and not (self.base / "models").exists():
            # The first run built the embedder's files; rounds start with them, as a user's would.
            shutil.copytree(models, self.base / "models")
            self.duration, self.expected = self.reference()
        if (self.base / "models").exists() and not shared.exists():
            shutil.copytree(self.base / "models", shared)

    def reference(self) -> tuple[float, Rows]:
        """An uncut run: how long it takes and what it stores; meanwhile, when its commits
        begin and end (the window in which a kill interrupts work rather than start-up)."""
        home = self.fresh("reference")
        close = self.scenario.server(home) if self.scenario.server else None
        commits: list[float] = []
        try:
            start = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-m", "ft.cli", *self.argv(self.scenario.argv)], env=_env(home),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            db = sqlite3.connect(f"file:{database(home)}?mode=ro", uri=True, timeout=30)
            last = db.execute(self.scenario.progress).fetchone()[0]
            while child.poll() is None:
                time.sleep(0.05)
                if (now := db.execute(self.scenario.progress).fetchone()[0]) != last:
                    last = now
                    commits.append(time.perf_counter() - start)
            db.close()
            duration = time.perf_counter() - start
            if child.returncode:
                raise RuntimeError(f"the uncut run exited {child.returncode}: {child.stderr.read().strip()[-300:]}")
        finally:
            if close:
                close()
        self.window = (commits[0], commits[-1]) if commits else (0.1, duration)
        return duration, read(database(home), self.scenario)[0]

    def fresh(self, name: str) -> Path:
        home = self.workdir / name
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(self.base, home)
        return home

    def round(self, n: int, figure: Figure) -> None:
        home = self.fresh(f"round{n}")
        close = self.scenario.server(home) if self.scenario.server else None
        try:
            child = subprocess.Popen([sys.executable, "-m", "ft.cli", *self.argv(self.scenario.argv)], env=_env(home),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            # Odd rounds anywhere in the run; even rounds between its first and last commit.
            time.sleep(self.rng.uniform(0.1, self.duration) if n % 2 else self.rng.uniform(*self.window))
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            checks = [integrity(database(home))]
            killed, _ = read(database(home), self.scenario)
            resumed = ft(home, *self.argv(self.scenario.resume))
        finally:
            if close:
                close()
        checks.append(integrity(database(home)))
        final, duplicates = read(database(home), self.scenario)
        figure.rounds += 1
        figure.lost += len(self.before - killed) + len(self.before - final)
        figure.duplicates += duplicates
        figure.mid_work += killed not in (self.before, self.expected)
        figure.integrity_ok += checks == ["ok", "ok"]
        if resumed.returncode == 0 and final == self.expected:
            figure.resumed += 1
        else:
            figure.problems.append(f"round {n}: re-run exited {resumed.returncode}, "
                                   f"{len(self.expected - final)} rows missing, {len(final - self.expected)} extra; "
                                   f"{resumed.stderr.strip()[-200:]}")
        if checks != ["ok", "ok"]:
            figure.problems.append(f"round {n}: integrity {checks}")
        shutil.rmtree(home, ignore_errors=True)

    def run(self, rounds: int) -> Figure:
        start = time.perf_counter()
        self.setup()
        figure = Figure(self.scenario.name)
        for n in range(1, rounds + 1):
            self.round(n, figure)
        figure.seconds = time.perf_counter() - start
        return figure


def run(keys: list[str], rounds: int, workdir: Path) -> list[Figure]:
    return [Harness(key, workdir).run(rounds) for key in keys]


def report(figures: list[Figure]) -> None:
    print(f"{'command':<24} {'kills':>5} {'mid-work':>8} {'lost':>5} {'dups':>5} {'resumed':>8} {'integrity':>9} {'time':>7}")
    for f in figures:
        print(f"{f.name:<24} {f.rounds:>5} {f.mid_work:>8} {f.lost:>5} {f.duplicates:>5} "
              f"{f.resumed:>4}/{f.rounds:<3} {f.integrity_ok:>5}/{f.rounds:<3} {f.seconds:>6.0f}s")
        for problem in f.problems:
            print(f"  {problem}")
