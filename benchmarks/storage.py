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

from index.db import atomic

from .figures import Figures


SYLLABLES = "ka lo mi ne ru sa te vo zu pi an el or ix um qua dre sto fli gen".split()
TARGET_RATE, TARGET_RSS_MB, TARGET_P50_MS = 5000, 500, 10.0


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def write_items(path: Path, count: int, words: list[str], rng: random.Random, prefix: str = "s") -> None:
    """``count`` synthetic items as ft JSON Lines, their source ids ``<prefix><n>``."""
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf, like real text
    cum = list(_accumulate(weights))
    with path.open("w") as f:
        for n in range(count):
            title = " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(4, 10)))
            text = " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(40, 160)))
            f.write(json.dumps({
                "source": "synthetic", "source_id": f"{prefix}{n}", "kind": "post", "title": title, "text": text,
                "author": f"user{n % 997}", "created_at": f"20{18 + n % 8}-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00Z",
            }) + "\n")


def _accumulate(values: list[float]):
    total = 0.0
    for v in values:
        total += v
        yield total


def run(out: Figures, items: int = 100_000, queries: int = 300, workdir: Path = Path(".bench/import")) -> bool:
    """Record the figures; True when every target is met."""
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
    out.section(f"{items:,} synthetic items, {queries} queries ({len(words):,}-word Zipf vocabulary)")
    out.add("import rate", rate, "items/s", target=f"≥ {TARGET_RATE:,}")
    out.add("import peak RSS", rss_mb, "MB", target=f"≤ {TARGET_RSS_MB}")
    out.add("FTS search p50", p50, "ms", target=f"≤ {TARGET_P50_MS}")
    out.add("FTS search p95", p95, "ms")
    out.add("database size", db_mb, "MB")
    return rate >= TARGET_RATE and rss_mb <= TARGET_RSS_MB and p50 <= TARGET_P50_MS


def run_embedding(out: Figures, texts: list[str], cache_dir: Path, rounds: int = 2) -> None:
    """Throughput of the default ONNX int8 embedder against plain ``SentenceTransformer.encode``."""
    import numpy as np

    from npu.embedder import OnnxEmbedder, SentenceTransformerEmbedder

    ours, reference = OnnxEmbedder(cache_dir=cache_dir), SentenceTransformerEmbedder()
    ours.embed(texts[:8]), reference.embed(texts[:8])  # warm both
    times: dict[str, list[float]] = {"sentence-transformers": [], "ft onnx int8": []}
    for _ in range(rounds):  # interleaved, so drift hits both alike
        for name, model in (("sentence-transformers", reference), ("ft onnx int8", ours)):
            start = time.perf_counter()
            vectors = model.embed(texts)
            times[name].append(time.perf_counter() - start)
            if name == "sentence-transformers":
                expected = vectors
            else:
                got = vectors
    rates = {name: len(texts) / statistics.median(t) for name, t in times.items()}
    cosines = (expected * got).sum(axis=1)
    out.section(f"embedding {len(texts)} texts (demo paragraphs, {statistics.mean(len(t) for t in texts):.0f} chars "
                f"on average), median of {rounds} interleaved rounds")
    out.add("sentence-transformers", rates["sentence-transformers"], "texts/s")
    out.add("ft onnx int8", rates["ft onnx int8"], "texts/s", baseline="sentence-transformers",
            baseline_value=rates["sentence-transformers"], target="≥ 3x")
    out.add("cosine agreement, mean", float(np.mean(cosines)), target="≥ 0.99")
    out.add("cosine agreement, min", float(np.min(cosines)))


def run_remote_embedding(out: Figures, texts: list[str], url: str, cache_dir: Path, parallel: int, batch: int,
                         rounds: int = 1) -> None:
    """Throughput of an embedding server with one request in flight and with ``parallel``, beside
    the shipped int8 model in process, on the same texts."""
    from local_models.remote_embedder import RemoteEmbedder
    from npu.embedder import OnnxEmbedder

    local = OnnxEmbedder(cache_dir=cache_dir)
    with RemoteEmbedder(url, batch, 1) as one, RemoteEmbedder(url, batch, parallel) as many:
        runs = {"ft onnx int8, in process": local, "server, 1 request in flight": one,
                f"server, {parallel} requests in flight": many}
        for model in runs.values():
            model.embed(texts[:2])  # warm
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(rounds):  # interleaved, so drift hits all alike
            for name, model in runs.items():
                start = time.perf_counter()
                model.embed(texts)
                times[name].append(time.perf_counter() - start)
        out.section(f"embedding {len(texts)} texts (demo paragraphs, {statistics.mean(len(t) for t in texts):.0f} chars "
                    f"on average) with {one.model_id} at {one.root}, {one.batch} a request, and the local model; "
                    f"median of {rounds} interleaved rounds")
    rates = {name: len(texts) / statistics.median(t) for name, t in times.items()}
    serial = "server, 1 request in flight"
    for name, rate in rates.items():
        if name.startswith("server") and name != serial:
            out.add(name, rate, "texts/s", baseline=serial, baseline_value=rates[serial])
        else:
            out.add(name, rate, "texts/s")


def run_vectors(out: Figures, cache_dir: Path, chunks: int = 100_000, queries: int = 200, workdir: Path = Path(".bench/vectors")) -> None:
    """Semantic and hybrid search latency at ``chunks`` stored vectors.

    The items are synthetic texts and the vectors random unit vectors written
    straight into the tables: embedding 100,000 chunks with the model would take
    an hour here and does not change what is timed (a matrix product, a sort,
    the fusion and the row fetches). The query is embedded by the real model.
    """
    import numpy as np

    import ft

    from index.hybrid import hybrid_search
    from index.items import Filters
    from index.records import Record
    from index.vectors import VectorIndex, dequantize
    from npu.embedder import OnnxEmbedder

    rng = random.Random(11)
    shutil.rmtree(workdir, ignore_errors=True)
    words = vocabulary(20_000, rng)
    weights = list(_accumulate([1 / (r + 1) for r in range(len(words))]))
    embedder = OnnxEmbedder(cache_dir=cache_dir)
    with ft.Library(workdir, embedder=embedder) as lib:
        lib.add(Record("synthetic", f"s{n}", title=" ".join(rng.choices(words, cum_weights=weights, k=6)),
                       text=" ".join(rng.choices(words, cum_weights=weights, k=60))) for n in range(chunks))
        vectors = store_random_vectors(lib.db, embedder, chunks)
        db = lib.db
        index = VectorIndex(db, embedder.model_id)
        start = time.perf_counter()
        len(index)
        load = time.perf_counter() - start
        asked = [" ".join(rng.choice(words[50:3000]) for _ in range(3)) for _ in range(queries)]
        probes = vectors[: queries]

        def loop_baseline(query: np.ndarray) -> None:
            """What ``llm similar`` does: decode every stored vector and score it in Python."""
            scored = []
            for chunk_id, scale, blob in db.execute("SELECT chunk_id, scale, vector FROM embeddings WHERE model = ?", (embedder.model_id,)):
                v = dequantize(blob, scale).tolist()
                scored.append((sum(a * b for a, b in zip(v, query.tolist())), chunk_id))
            scored.sort(reverse=True)

        semantic_ms = _times(lambda q: index.search(q, 10), probes)
        baseline_ms = _times(loop_baseline, probes[:3])
        hybrid_ms = _times(lambda q: hybrid_search(db, index, q, embedder.embed([q])[0], Filters(), 10), asked)
        embed_ms = _times(lambda q: embedder.embed([q]), asked)
        filtered_ms = _times(lambda q: index.search(q, 10, np.arange(1, chunks // 10, dtype=np.int64)), probes)
    out.section(f"{chunks:,} chunks of random unit vectors ({embedder.dim}-d, int8 on disk, float32 in memory), "
                f"{queries} queries")
    out.add("load the matrix (once per process)", load * 1000, "ms")
    loop = statistics.median(baseline_ms)
    out.add("python loop over stored vectors", loop, "ms", note="(3 queries)")
    out.add("semantic top-10 p50", statistics.median(semantic_ms), "ms", baseline="python loop", baseline_value=loop,
            target="≤ 10 ms, ≥ 20x")
    out.add("semantic top-10 p50, filtered to 10% of items", statistics.median(filtered_ms), "ms")
    out.add("hybrid top-10 p50 (query embedding included)", statistics.median(hybrid_ms), "ms", target="≤ 30")
    out.add("  of which embedding the query", statistics.median(embed_ms), "ms")


def store_random_vectors(db, embedder, count: int, block: int = 100_000):
    """One chunk per item for items 1..count, each with a random unit vector under the
    embedder's model id: what is timed in a search does not depend on the vectors' meaning.
    Returns the first block's float vectors (queries near stored ones)."""
    import numpy as np

    from index.vectors import quantize

    rng, first = np.random.default_rng(3), None
    for start in range(1, count + 1, block):
        ids = range(start, min(start + block, count + 1))
        vectors = rng.normal(size=(len(ids), embedder.dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        first = vectors if first is None else first
        with atomic(db):
            db.conn.executemany('INSERT INTO chunks (id, item_id, seq, start, "end", item_hash) '
                                "SELECT id, id, 0, 0, length(text), content_hash FROM items WHERE id = ?", [(i,) for i in ids])
            db.conn.executemany("INSERT INTO embeddings (chunk_id, model, dim, dtype, scale, vector) VALUES (?, ?, ?, 'int8', ?, ?)",
                                [(i, embedder.model_id, embedder.dim, *reversed(quantize(v))) for i, v in zip(ids, vectors)])
    return first


def _times(fn, inputs) -> list[float]:
    out = []
    for value in inputs:
        start = time.perf_counter()
        fn(value)
        out.append((time.perf_counter() - start) * 1000)
    return out
