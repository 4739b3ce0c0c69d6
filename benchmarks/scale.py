"""Scale: a synthetic library of 1,000,000 items (``python -m benchmarks.scale``).

Writes the items as ft JSON Lines (ten files), imports them with ``ft add`` in
a child process (its time and peak RSS), gives every item one chunk with a
random unit vector (embedding a million texts here would take days and does not
change what a search costs), then measures: the file's size, keyword (FTS) and
hybrid p50 in a warm process, and the peak memory of a cold ``ft search``
process and of the TUI showing its first page.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.tui import FIRST_SCREEN

PEAK = """
import atexit, runpy, sys

def peak():
    # VmHWM belongs to this process's own memory map; ru_maxrss would include the parent's
    # pages as they were at fork, so a large parent would inflate every child's figure.
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    sys.stderr.write(f"\\nVmHWM {kb // 1024}\\n")

atexit.register(peak)
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True) if sys.argv[0] != "-c" else exec(sys.argv.pop(1))
"""


def child(args: list[str], home: Path) -> tuple[float, int, str]:
    """Run ``python -m <args>`` (or ``-c CODE ...``) to its end: (seconds, peak RSS in MB, stdout)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *args], env={**os.environ, "FT_HOME": str(home)},
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{' '.join(args[:3])} exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return seconds, int(done.stderr.rsplit("VmHWM ", 1)[1]), done.stdout


def run(items: int, workdir: Path, queries: int = 100) -> None:
    import ft
    from benchmarks.storage import store_random_vectors, vocabulary, write_items
    from npu.embedder import OnnxEmbedder

    shutil.rmtree(workdir, ignore_errors=True)
    source, home = workdir / "source", workdir / "home"
    source.mkdir(parents=True)
    rng = random.Random(17)
    words = vocabulary(20_000, rng)
    parts = 10
    for part in range(parts):
        write_items(source / f"part{part}.jsonl", items // parts, words, rng, prefix=f"p{part}-")
    seconds, import_mb, _ = child(["ft.cli", "add", str(source)], home)
    print(f"{items:,} synthetic items (ft JSON Lines, {sum(p.stat().st_size for p in source.iterdir()) / 1e6:.0f} MB)")
    print(f"  {'import (ft add, one process)':<46} {items / seconds:>9,.0f} items/s  ({seconds:.0f} s, peak {import_mb} MB)")
    embedder = OnnxEmbedder(cache_dir=home / "models")
    with ft.Library(home, embedder=embedder) as lib:
        start = time.perf_counter()
        store_random_vectors(lib.db, embedder, items)
        print(f"  {'one random vector per item, stored':<46} {time.perf_counter() - start:>9.0f} s")
        lib.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(p.stat().st_size for p in home.glob("library.db*"))
        print(f"  {'library file':<46} {size / 1e9:>9.2f} GB  ({size / items:,.0f} bytes an item)")
        start = time.perf_counter()
        lib.search("zero", limit=1, mode="hybrid")  # the first one builds and saves the vector matrix
        build = time.perf_counter() - start
        saved = sum(p.stat().st_size for p in home.glob("library.vectors/*/*"))
        print(f"  {'saved vector matrix (float32, memory-mapped)':<46} {saved / 1e9:>9.2f} GB  "
              f"(built by the first search: {build:.1f} s)")
        asked = [" ".join(rng.choice(words[50:3000]) for _ in range(rng.randint(1, 2))) for _ in range(queries)]
        keyword = _times(lambda q: lib.search(q, limit=20, mode="keyword"), asked)
        hybrid = _times(lambda q: lib.search(q, limit=20, mode="hybrid"), asked)
    print(f"  {'keyword (FTS) top-20 p50, warm process':<46} {statistics.median(keyword):>9.1f} ms")
    print(f"  {'hybrid top-20 p50, warm process':<46} {statistics.median(hybrid):>9.1f} ms")
    search = ["ft.cli", "search", asked[1], "--limit", "20", "--mode"]
    seconds, peak, _ = child([*search, "keyword"], home)
    print(f"  {'ft search --mode keyword (a fresh process)':<46} {seconds:>9.1f} s   peak {peak} MB")
    shutil.rmtree(home / "library.vectors")  # the baseline: a process that builds the matrix itself
    built, built_peak, _ = child([*search, "hybrid"], home)
    print(f"  {'ft search --mode hybrid, building the matrix':<46} {built:>9.1f} s   peak {built_peak} MB  (baseline)")
    seconds, peak, _ = child([*search, "hybrid"], home)
    print(f"  {'ft search --mode hybrid, mapping the saved one':<46} {seconds:>9.1f} s   peak {peak} MB  "
          f"{built / seconds:.1f}x faster")
    seconds, peak, out = child(["-c", FIRST_SCREEN, str(home)], home)
    first, shown = out.split()
    print(f"  {'ft tui: start to first screen':<46} {float(first):>9.1f} s   {shown} rows shown, peak {peak} MB")


def _times(fn, inputs) -> list[float]:
    out = []
    for value in inputs:
        start = time.perf_counter()
        fn(value)
        out.append(1000 * (time.perf_counter() - start))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--workdir", type=Path, default=Path(".bench/scale"), help="scratch folder (replaced)")
    args = parser.parse_args()
    run(args.items, args.workdir, args.queries)


if __name__ == "__main__":
    main()
