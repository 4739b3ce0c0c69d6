"""``ft bench import``: import and keyword-search figures at library scale.

Writes N synthetic items (default 100,000) as ft item JSON Lines, imports them
with ``ft add`` in a child process (timing it and reading its peak RSS from the
kernel), then times keyword searches through ``ft.Library.search``: words
drawn from a Zipf-distributed vocabulary, one and two words a query.
"""

from __future__ import annotations

import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


SYLLABLES = "ka lo mi ne ru sa te vo zu pi an el or ix um qua dre sto fli gen".split()
TARGET_RATE, TARGET_RSS_MB, TARGET_P50_MS = 5000, 500, 10.0


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def write_items(path: Path, count: int, words: list[str], rng: random.Random) -> None:
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf, like real text
    cum = list(_accumulate(weights))
    with path.open("w") as f:
        for n in range(count):
            title = " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(4, 10)))
            text = " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(40, 160)))
            f.write(json.dumps({
                "source": "synthetic", "source_id": f"s{n}", "kind": "post", "title": title, "text": text,
                "author": f"user{n % 997}", "created_at": f"20{18 + n % 8}-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00Z",
            }) + "\n")


def _accumulate(values: list[float]):
    total = 0.0
    for v in values:
        total += v
        yield total


def run(items: int = 100_000, queries: int = 300, workdir: Path = Path(".bench/import")) -> bool:
    """Print the figures; True when every target is met."""
    import ft

    rng = random.Random(7)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    words = vocabulary(20_000, rng)
    data = workdir / "items.jsonl"
    write_items(data, items, words, rng)
    home = workdir / "home"

    ft_bin = Path(sys.executable).with_name("ft")
    start = time.perf_counter()
    subprocess.run([str(ft_bin), "--home", str(home), "add", str(data)], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rate = items / seconds

    with ft.Library(home) as lib:
        assert lib.stats().items == items, "import lost items"
        asked = [" ".join(rng.choice(words[30:5000]) for _ in range(rng.choice((1, 2)))) for _ in range(queries)]
        lib.search(asked[0])  # warm the page cache once
        times = []
        for q in asked:
            t0 = time.perf_counter()
            lib.search(q, limit=10)
            times.append((time.perf_counter() - t0) * 1000)
        db_mb = lib.stats().db_bytes / 1e6

    p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
    rows = [
        ("import rate", f"{rate:,.0f} items/s", f"≥ {TARGET_RATE:,}", rate >= TARGET_RATE),
        ("import peak RSS", f"{rss_mb:,.0f} MB", f"≤ {TARGET_RSS_MB}", rss_mb <= TARGET_RSS_MB),
        ("FTS search p50", f"{p50:.2f} ms", f"≤ {TARGET_P50_MS}", p50 <= TARGET_P50_MS),
        ("FTS search p95", f"{p95:.2f} ms", "", True),
        ("database size", f"{db_mb:,.0f} MB", "", True),
    ]
    print(f"{items:,} synthetic items, {queries} queries ({len(words):,}-word Zipf vocabulary)")
    for name, value, target, ok in rows:
        print(f"  {name:<16} {value:>16}  {target:<8} {'ok' if ok else 'MISSED'}")
    return all(ok for *_, ok in rows)
