"""``ft bench classify``: the cascade against a naive per-item chat loop, same items and labels."""

from __future__ import annotations

import re
import time
from pathlib import Path

from . import classify as classifying
from .taxonomy import Taxonomy

__all__ = ["run_classify"]


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


def run_classify(lib, taxonomy: Taxonomy, labelled: Path, model_path: Path, engine_factory) -> None:
    items, truth = classifying.read_labelled(lib, labelled, taxonomy)
    texts = [classifying.item_text(title, text) for _, title, text in items]
    names = taxonomy.names

    start = time.perf_counter()
    cascade = classifying.Cascade(taxonomy, lib.embedder.embed, engine_factory)
    decisions = cascade.classify(texts, classifying.item_vectors(lib, items))
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

    rows = [
        ("naive: create_chat_completion per item", len(texts) / baseline, f1(naive)),
        ("model alone, shared prefix in the KV cache", len(texts) / reuse, f1([d.label for d in reused])),
        ("cascade (embeddings, model for close calls)", len(texts) / ours, f1([d.label for d in decisions])),
    ]
    print(f"classifying {len(texts)} labelled demo items into {len(names)} labels ({taxonomy.name}); "
          f"{sum(d.method == 'llm' for d in decisions)} went to the model, whose trust came out at {cascade.trust}")
    for name, rate, score in rows:
        print(f"  {name:<46} {rate:>8.2f} items/s   macro-F1 {score:.3f}")
    print(f"  {'cascade / naive':<46} {rows[2][1] / rows[0][1]:>8.1f}x      target ≥ 5x at equal or better accuracy")
    print(f"  {'prefix reuse / naive (the model alone)':<46} {rows[1][1] / rows[0][1]:>8.1f}x")
