"""``ft bench classify|summarize|map``: the reading tasks on the demo texts, each beside its baseline."""

from __future__ import annotations

import re
import time
from pathlib import Path

import ft
from index import Filters

from ft.tasks import classify as classifying
from ft.tasks.taxonomy import Taxonomy

from .figures import Figures

__all__ = ["long_transcript", "run_classify", "run_map", "run_summarize", "run_written"]


def _naive(model_path: Path, cascade: classifying.Cascade, texts: list[str], names: list[str]) -> list[str]:
    """What a first version would do: the whole prompt through ``create_chat_completion`` per item."""
    from llama_cpp import Llama

    llm = Llama(str(model_path), n_ctx=2048, n_threads=2, verbose=False)
    system = cascade.prefix(cascade._examples())
    out = []
    for text in texts:
        llm.reset()
        reply = llm.create_chat_completion(
            messages=[{"role": "system", "content": system}, {"role": "user", "content": f"Item: {text}\nTopic:"}],
            max_tokens=8, temperature=0.0,
        )["choices"][0]["message"]["content"] or ""
        words = re.findall(r"[\w-]+", reply.lower())
        out.append(next((w for w in words if w in names), "(none)"))
    return out


def run_classify(out: Figures, lib: ft.Library, taxonomy: Taxonomy, labelled: Path, model_path: Path, engine_factory) -> None:
    items, truth, _ = classifying.read_labelled(lib, labelled, taxonomy)
    texts = [classifying.item_text(title, text) for _, title, text in items]
    names = taxonomy.names

    start = time.perf_counter()
    cascade = classifying.Cascade(taxonomy, lib.embedder.embed, engine_factory)
    vectors, parts = classifying.item_points(lib, items)
    decisions = cascade.classify(texts, vectors, parts=parts)
    ours = time.perf_counter() - start

    start = time.perf_counter()
    llm_only = classifying.Cascade(taxonomy, lib.embedder.embed, engine_factory)
    reused = llm_only.classify(texts, classifying.item_vectors(lib, items), stages=("llm",))
    reuse = time.perf_counter() - start

    start = time.perf_counter()
    naive = _naive(model_path, cascade, texts, names)
    baseline = time.perf_counter() - start

    def f1(predicted: list[str]) -> float:
        return classifying.EvalReport("x", names, truth, predicted).macro_f1

    out.section(f"classifying {len(texts)} labelled demo items into {len(names)} labels ({taxonomy.name}); "
                f"{sum(d.method == 'llm' for d in decisions)} went to the model, whose trust came out at {cascade.trust}")
    naive_rate = len(texts) / baseline
    out.add("naive: create_chat_completion per item", naive_rate, "items/s", note=f"macro-F1 {f1(naive):.3f}")
    out.add("model alone, shared prefix in the KV cache", len(texts) / reuse, "items/s", baseline="naive",
            baseline_value=naive_rate, note=f"macro-F1 {f1([d.label for d in reused]):.3f}")
    out.add("cascade (embeddings, model for close calls)", len(texts) / ours, "items/s", baseline="naive",
            baseline_value=naive_rate, target="≥ 5x at equal or better macro-F1",
            note=f"macro-F1 {f1([d.label for d in decisions]):.3f}")
    out.add("macro-F1, cascade", f1([d.label for d in decisions]), baseline="naive", baseline_value=f1(naive),
            higher_is_better=True)


def long_transcript(sources: list[str], size: int = 260_000) -> str:
    """A YouTube-style caption dump of at least ``size`` bytes, from the project's own texts:
    each text's words as short caption lines, passes repeated until long enough."""
    words = [w for text in sources for w in text.split()]
    lines, total, i = [], 0, 0
    while total < size:
        line = " ".join(words[i % len(words) : i % len(words) + 9]).lower().strip(".,;:")
        lines.append(line)
        total += len(line) + 1
        i += 9
    return "Transcript\nbench0000001 • A four-hour conversation about local models\nKind: captions\nLanguage: en\n" + "\n".join(lines)


def run_summarize(out: Figures, lib: ft.Library, transcript_path: Path, question: str) -> None:
    from ft.tasks import reading

    started = time.perf_counter()
    lib.import_path(transcript_path)
    item = lib.items(source="youtube", limit=1)[0]
    embedded = lib.embed()
    first = reading.summarize(lib, [item.id], subject=f"item:{item.id}")
    cold = time.perf_counter() - started
    started = time.perf_counter()
    answer = reading.ask(lib, question, Filters())
    asked = time.perf_counter() - started
    started = time.perf_counter()
    again = reading.summarize(lib, [item.id])
    warm = time.perf_counter() - started
    size = transcript_path.stat().st_size
    depth = max(step.depth for step in first.trace)
    out.section(f"summarizing a {size / 1000:.0f} KB caption transcript ({len(item.text.split()):,} words, "
                f"{embedded.chunks} chunks) with the shipped defaults, extractive")
    out.add("cold: import, chunk, embed, map, reduce", cold, "s", target="≤ 300 s")
    out.add("  of which embedding the chunks", embedded.seconds, "s")
    out.add("  model calls", 0, note="(extractive; --rewrite adds one call per sentence)")
    out.add("  reduce depth", depth, note=f"{first.trace[0].notes_out} notes mapped, {len(first.sentences)} sentences")
    out.add("a question over the same transcript", asked, "s", target="≤ 30 s",
            note=f"({len(answer.sentences)} cited sentences)")
    out.add("the summary again (cached notes)", warm, "s", baseline="cold", baseline_value=cold,
            note=f"({again.cached}/{again.chunks} chunks from cache)")


def run_written(out: Figures, lib: ft.Library, transcript: Path, length: int, n_ctx: int) -> None:
    """The same transcript summarized twice with the same length: sentences chosen (extractive), then
    written by the shipped instruct model in process (map → reduce → answer), each timed from cold."""
    from ft.tasks import reading
    from ft.tasks.abstractive import grounded
    from local_models import load_engine

    lib.import_path(transcript)
    item = lib.items(limit=1)[0]
    lib.embed()
    started = time.perf_counter()
    chosen = reading.summarize(lib, [item.id], length)
    extractive = time.perf_counter() - started
    with load_engine("smollm2-135m", settings=lib.settings, n_ctx=n_ctx) as engine:
        started = time.perf_counter()
        written = reading.summarize(lib, [item.id], length, writing_engine=engine)
        seconds = time.perf_counter() - started

    def passing(result) -> int:
        return sum(grounded(s, [item.text[c.start:c.end] for c in cites]) for s, cites in result.sentences)

    def tokens(result) -> str:
        return f"{sum(s.tokens_in for s in result.trace):,} in, {sum(s.tokens_out for s in result.trace):,} out"

    model_written = sum(not any(" ".join(c.text.split()) == s for c in cites) for s, cites in written.sentences)
    out.section(f"summarizing {transcript.name} ({len(item.text.split()):,} words, {chosen.chunks} chunks) in "
                f"{length} sentences: extractive against written by {engine.model_id} (n_ctx {n_ctx}, in process)")
    out.add("extractive: sentences chosen", extractive, "s",
            note=f"0 model calls; {passing(chosen)}/{len(chosen.sentences)} sentences pass the grounding check")
    out.add("written: map → reduce → answer", seconds, "s", baseline="extractive", baseline_value=extractive,
            note=f"{written.calls} model calls, depth {written.depth}, tokens {tokens(written)}")
    out.add("written sentences kept by the grounding check", model_written,
            note=f"of {model_written + len(written.ungrounded)} written; {len(written.ungrounded)} failed, "
                 f"{len(written.sentences) - model_written} source sentences stand in")
    out.add("grounding rate of the written sentences",
            100 * model_written / max(1, model_written + len(written.ungrounded)), "%")
    out.note("written: " + " | ".join(s for s, _ in written.sentences))
    out.note("extractive: " + " | ".join(s for s, _ in chosen.sentences))


def run_map(out: Figures, items: int, workdir: Path, engine_factory) -> None:
    """``ft viz map`` at scale: synthetic items with random vectors written straight into the tables
    (embedding them would take hours and is not what is timed), clustered, named, drawn; twice."""
    import random
    import shutil

    import numpy as np

    from ft.tasks.ideamap import build_map
    from ft.tasks.mapdraw import to_html, to_png

    from benchmarks.storage import _accumulate, vocabulary
    from index.records import Record
    from index.vectors import quantize

    rng = random.Random(5)
    shutil.rmtree(workdir, ignore_errors=True)
    words = vocabulary(5_000, rng)
    weights = list(_accumulate([1 / (r + 1) for r in range(len(words))]))
    with ft.Library(workdir) as lib:
        lib.add(Record("synthetic", f"s{n}", title=" ".join(rng.choices(words, cum_weights=weights, k=6)),
                       text=" ".join(rng.choices(words, cum_weights=weights, k=40))) for n in range(items))
        centres = np.random.default_rng(1).normal(size=(12, 384)).astype(np.float32)
        vectors = centres[np.arange(items) % 12] + 0.6 * np.random.default_rng(2).normal(size=(items, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        model = lib.embedder_id
        lib.db.execute("BEGIN")
        lib.db.conn.executemany('INSERT INTO chunks (id, item_id, seq, start, "end", item_hash) SELECT id, id, 0, 0, '
                                "length(text), content_hash FROM items WHERE id = ?", [(i,) for i in range(1, items + 1)])
        lib.db.conn.executemany("INSERT INTO embeddings (chunk_id, model, dim, dtype, scale, vector) VALUES (?, ?, 384, 'int8', ?, ?)",
                                [(i + 1, model, *reversed(quantize(v))) for i, v in enumerate(vectors)])
        lib.db.execute("COMMIT")
        out.section(f"the map of {items:,} items")
        first = None
        for run in ("first run (names by the model)", "second run (names from the cache)"):
            start = time.perf_counter()
            idea = build_map(lib, engine_factory)
            to_html(idea, workdir / "map.html")
            to_png(idea, workdir / "map.png")
            seconds = time.perf_counter() - start
            out.add(run, seconds, "s", baseline="first run" if first else None, baseline_value=first,
                    target="≤ 60 s", note=f"{len(idea.clusters)} clusters, {idea.projection}")
            first = first or seconds
