"""``ft bench parallel``: requests to a model server one at a time against ``parallel`` at once.

A ``python -m llama_cpp.server`` on 127.0.0.1 serves the shipped instruct model
(SmolLM2-135M-Instruct); ft classifies the labelled demo items (the model's
label scores, ``score_many``) and writes the map notes of a transcript's
chunks (``Writer.map``), first with ``"engine": {"parallel": 1}``, then with
``parallel`` N, and reports the wall times, their ratio, and whether labels
and notes came out the same (greedy decoding: they must).

llama_cpp.server runs one Llama behind a lock, so its requests are served one
after another however many are in flight: what N buys there is only the
overlap of HTTP and tokenizing. Servers with several slots (llama-server
``--parallel``, vLLM) decode requests together; point ``--server`` at one.
"""

from __future__ import annotations

import time
from pathlib import Path

from .figures import Figures

__all__ = ["run"]


def run(out: Figures, lib, url: str, taxonomy, labelled: Path, transcript: str, parallel: int, chunks: int,
        count: int | None = None) -> None:
    """Classify and map once per setting, sequential first; figures with parallel 1 as the baseline."""
    from ft.tasks import classify as classifying
    from ft.tasks.abstractive import Writer
    from ft.tasks.recursive import Reader
    from index import Record
    from local_models.remote import RemoteEngine

    items, _, _ = classifying.read_labelled(lib, labelled, taxonomy)
    texts = [classifying.item_text(title, text) for _, title, text in items[:count]]
    lib.add(Record("youtube", "bench-parallel", title="A talk", text=transcript, kind="transcript"))
    item = lib.items(source="youtube", limit=1)[0]
    rows = Reader(lib).chunks([item.id])[:chunks]
    results = {}
    for n in (1, parallel):
        with RemoteEngine(url, n_ctx=2048, parallel=n) as engine:
            started = time.perf_counter()
            cascade = classifying.Cascade(taxonomy, lib.embedder.embed, lambda: engine)
            labels = [d.label for d in cascade.classify(texts, stages=("llm",))]
            classified = time.perf_counter() - started
            started = time.perf_counter()
            # A question keeps the notes out of the cache, so both settings ask the model.
            notes = [w.line() for w in Writer(Reader(lib), engine).map(rows, "What is this passage about?")]
            mapped = time.perf_counter() - started
        results[n] = (labels, classified, notes, mapped)
    (labels1, classify1, notes1, map1), (labelsn, classifyn, notesn, mapn) = results[1], results[parallel]
    out.section(f"llama_cpp.server on 127.0.0.1 serving SmolLM2-135M-Instruct: parallel 1 against parallel {parallel}")
    out.add(f"classify {len(texts)} items ({len(taxonomy.names)} labels), parallel 1", classify1, "s")
    out.add(f"classify, parallel {parallel}", classifyn, "s", baseline="parallel 1", baseline_value=classify1,
            note=f"same labels: {'yes' if labels1 == labelsn else 'NO'}")
    out.add(f"map {len(rows)} chunks to written notes, parallel 1", map1, "s")
    out.add(f"map, parallel {parallel}", mapn, "s", baseline="parallel 1", baseline_value=map1,
            note=f"same notes: {'yes' if notes1 == notesn else 'NO'} ({len(notes1)} notes)")
    total1, totaln = classify1 + map1, classifyn + mapn
    out.add(f"both, parallel {parallel}", totaln, "s", baseline="parallel 1", baseline_value=total1,
            note="llama_cpp.server serialises requests behind one lock; a server with slots overlaps them")
