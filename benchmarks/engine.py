"""``ft bench engine``: the engine's claims, each measured beside its baseline in one run.

1. decode speed: llama-cpp-python's ``create_completion`` vs a bare C-API greedy
   loop vs ft's loop, same model, prompt and greedy settings, runs interleaved;
2. prompt-lookup speculation on a copy-heavy task (quoting from a ~2,000-token
   document) vs ft's own loop without it; any divergence is reported with the
   logit gap where it happened;
3. scoring 200 items after a ~1,000-token shared prefix: re-evaluating the
   prefix per item vs reusing it (sequentially, and batched over sequences);
   then a second process that loads the saved prefix state;
4. draft-model speculation with a more aggressively quantized copy;
5. peak memory at n_ctx 8192, and the error for a prompt longer than the context.
Machines are noisy: quote the ratios.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from local_models.engine import GenerateOptions
from local_models.llama_api import require_llama
from local_models.llama_engine import LlamaEngine

from .figures import Figures

__all__ = ["run"]

DECODE_PROMPT = "The history of the printing press begins with"
LABELS = [" research", " tool", " opinion", " launch", " tutorial", " news", " question"]


def _median_rate(runs: list[tuple[int, float]]) -> float:
    return statistics.median(n / s for n, s in runs if s > 0)


# -- 1. decode speed ---------------------------------------------------------------


def _create_completion(model: Path, tokens: int) -> Callable[[], tuple[int, float]]:
    from llama_cpp import Llama

    llm = Llama(str(model), n_ctx=2048, n_threads=2, verbose=False)

    def run() -> tuple[int, float]:
        llm.reset()
        first = None
        count = 0
        for _ in llm.create_completion(DECODE_PROMPT, max_tokens=tokens, temperature=0.0, stream=True):
            count += 1
            first = first or time.perf_counter()
        return count - 1, time.perf_counter() - first

    return run


def _bare_loop(model: Path, tokens: int) -> Callable[[], tuple[int, float]]:
    """The smallest C-API greedy loop: one llama_batch_get_one + llama_decode per token."""
    C = require_llama()
    mparams = C.llama_model_default_params()
    handle = C.llama_model_load_from_file(str(model).encode(), mparams)
    cparams = C.llama_context_default_params()
    cparams.n_ctx, cparams.n_threads, cparams.n_threads_batch = 2048, 2, 2
    ctx = C.llama_init_from_model(handle, cparams)
    vocab = C.llama_model_get_vocab(handle)
    sampler = C.llama_sampler_chain_init(C.llama_sampler_chain_default_params())
    C.llama_sampler_chain_add(sampler, C.llama_sampler_init_greedy())
    text = DECODE_PROMPT.encode()
    buf = (C.llama_token * 64)()
    n_prompt = C.llama_tokenize(vocab, text, len(text), buf, 64, True, True)

    def run() -> tuple[int, float]:
        C.llama_memory_clear(C.llama_get_memory(ctx), True)
        C.llama_decode(ctx, C.llama_batch_get_one(buf, n_prompt))
        one = (C.llama_token * 1)()
        start = time.perf_counter()
        for _ in range(tokens):
            one[0] = C.llama_sampler_sample(sampler, ctx, -1)
            if C.llama_vocab_is_eog(vocab, one[0]):
                break
            C.llama_decode(ctx, C.llama_batch_get_one(one, 1))
        return tokens, time.perf_counter() - start

    return run


def bench_decode(out: Figures, model: Path, rounds: int, tokens: int = 128) -> None:
    out.section(f"1. decode, {model.name}, greedy, {tokens} tokens, {rounds} interleaved rounds")
    ours_engine = LlamaEngine(model, n_ctx=2048, n_threads=2)

    def ours() -> tuple[int, float]:
        ours_engine._kv = []  # a cold prompt each round, like the others
        ours_engine.ctx.clear()
        result = ours_engine.generate(DECODE_PROMPT, GenerateOptions(max_tokens=tokens))
        return len(result.tokens) - 1, result.decode_seconds

    contenders = {"create_completion": _create_completion(model, tokens), "bare C loop": _bare_loop(model, tokens), "ft": ours}
    runs: dict[str, list] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            runs[name].append(fn())
    rates = {name: _median_rate(r) for name, r in runs.items()}
    out.add("create_completion (llama-cpp-python)", rates["create_completion"], "tok/s")
    out.add("bare C-API loop", rates["bare C loop"], "tok/s")
    out.add("ft's loop", rates["ft"], "tok/s", baseline="bare C-API loop", baseline_value=rates["bare C loop"],
            target="≥ 0.95x")
    out.add("ft's loop", rates["ft"], "tok/s", baseline="create_completion",
            baseline_value=rates["create_completion"], target="≥ 6x")
    ours_engine.close()


# -- 2. prompt lookup --------------------------------------------------------------


def copy_prompts(document: str, count: int) -> list[str]:
    """Quote requests for the document's longer paragraphs, each primed with its first words."""
    paragraphs = [p for p in document.split("\n\n") if len(p) > 300]
    step = max(1, len(paragraphs) // count)
    prompts = []
    for paragraph in paragraphs[::step][:count]:
        opening = " ".join(paragraph.split()[:5])
        prompts.append(f"{document}\n\nQuote the paragraph that begins \"{opening}\", word for word.\n\n> {opening}")
    return prompts


def bench_prompt_lookup(out: Figures, model: Path, document: str, count: int, tokens: int = 300) -> None:
    engine = LlamaEngine(model, n_ctx=4096, n_threads=2)
    prompts = copy_prompts(document, count)
    out.section(f"2. prompt lookup, copy-heavy: quoting from a {engine.count_tokens(document):,}-token document, "
          f"{len(prompts)} prompts × {tokens} tokens")
    plain_runs, fast_runs, drafted, accepted, diverged = [], [], 0, 0, []
    for prompt in prompts:
        plain = engine.generate(prompt, GenerateOptions(max_tokens=tokens))
        fast = engine.generate(prompt, GenerateOptions(max_tokens=tokens, speculation="prompt"))
        plain_runs.append((len(plain.tokens), plain.decode_seconds))
        fast_runs.append((len(fast.tokens), fast.decode_seconds))
        drafted, accepted = drafted + fast.drafted, accepted + fast.accepted
        found = engine.divergence(prompt, plain.tokens, fast.tokens)
        if found:
            diverged.append(found)
    plain_rate = sum(n for n, _ in plain_runs) / sum(s for _, s in plain_runs)
    fast_rate = sum(n for n, _ in fast_runs) / sum(s for _, s in fast_runs)
    out.add("ft, no speculation", plain_rate, "tok/s")
    out.add("ft, prompt lookup", fast_rate, "tok/s", baseline="no speculation", baseline_value=plain_rate,
            target="≥ 1.8x", note=f"drafts accepted {accepted}/{drafted} ({accepted / max(drafted, 1):.0%})")
    out.add("outputs identical to greedy", len(prompts) - len(diverged), f"of {len(prompts)}")
    for index, gap in diverged:
        out.add("  diverged at token", index, note=f"logit gap between the two choices {gap:.4f} (a rounding tie)")
    engine.close()


# -- 3. prefix reuse ----------------------------------------------------------------


def classify_prefix(examples: list[str]) -> str:
    """~1,000 tokens of instructions and examples shared by every item."""
    lines = ["You sort a researcher's saved items into one label each.",
             "Labels: research (papers, results), tool (software, libraries), opinion (takes, essays), "
             "launch (product announcements), tutorial (how-to), news (events), question (asks for help).", ""]
    for i, text in enumerate(examples):
        lines.append(f"Item: {text}\nLabel:{LABELS[i % len(LABELS)]}\n")
    return "\n".join(lines) + "\n"


def bench_prefix(out: Figures, model: Path, prefix: str, items: list[str], cache_dir: Path, baseline_items: int = 12) -> None:
    shutil.rmtree(cache_dir, ignore_errors=True)  # states from an earlier run would hide the cold cost
    engine = LlamaEngine(model, n_ctx=4096, n_threads=2, cache_dir=cache_dir)
    suffixes = [f"Item: {item}\nLabel:" for item in items]
    out.section(f"3. scoring {len(items)} items after a {engine.count_tokens(prefix):,}-token shared prefix, {len(LABELS)} labels")

    def cold(suffix: str) -> None:
        engine._kv = []
        engine.ctx.clear()
        engine.score(prefix + suffix, LABELS)

    start = time.perf_counter()
    for suffix in suffixes[:baseline_items]:
        cold(suffix)
    naive = baseline_items / (time.perf_counter() - start)
    start = time.perf_counter()
    sequential = [engine.score(prefix + s, LABELS) for s in suffixes]
    reuse = len(items) / (time.perf_counter() - start)
    start = time.perf_counter()
    batched = engine.score_many(prefix, suffixes, LABELS)
    many = len(items) / (time.perf_counter() - start)
    agree = sum(max(range(len(LABELS)), key=a.__getitem__) == max(range(len(LABELS)), key=b.__getitem__)
                for a, b in zip(sequential, batched))
    out.add("re-evaluate prefix per item", naive, "items/s", note=f"(measured on {baseline_items} items)")
    out.add("reuse prefix, one item at a time", reuse, "items/s", baseline="re-evaluate", baseline_value=naive)
    out.add("reuse prefix, items batched in sequences", many, "items/s", baseline="re-evaluate",
            baseline_value=naive, target="≥ 4x")
    out.add("same top label, sequential vs batched", agree, f"of {len(items)}")
    engine.close()
    cold_evaluated, cold_seconds = _prefix_in_child(model, prefix, cache_dir / "cold")
    out.add("a new process, cold cache", cold_seconds, "s", note=f"prefix tokens evaluated: {cold_evaluated}")
    evaluated, seconds = _prefix_in_child(model, prefix, cache_dir)
    out.add("a new process, saved state", seconds, "s", baseline="cold cache", baseline_value=cold_seconds,
            note=f"prefix tokens evaluated: {evaluated}")


def _prefix_in_child(model: Path, prefix: str, cache_dir: Path) -> tuple[int, float]:
    code = (
        "import sys, json, time\nfrom pathlib import Path\nfrom local_models.llama_engine import LlamaEngine\n"
        "e = LlamaEngine(sys.argv[1], n_ctx=4096, n_threads=2, cache_dir=Path(sys.argv[2]))\n"
        "_ = e.model_hash\nt = time.perf_counter(); n = e.load_prefix(sys.stdin.read())\n"
        "print(json.dumps([n, time.perf_counter() - t]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(model), str(cache_dir)], input=prefix,
                         capture_output=True, text=True, check=True)
    evaluated, seconds = json.loads(out.stdout)
    return evaluated, seconds


# -- 4. draft model ----------------------------------------------------------------


def bench_draft(out: Figures, model: Path, draft: Path, tokens: int = 120) -> None:
    engine = LlamaEngine(model, n_ctx=2048, n_threads=2, draft_path=draft)
    prompt = "Speculative decoding speeds up a language model because"
    plain = engine.generate(prompt, GenerateOptions(max_tokens=tokens))
    fast = engine.generate(prompt, GenerateOptions(max_tokens=tokens, speculation="draft"))
    out.section(f"4. draft model: {draft.name} drafting for {model.name}")
    out.add("ft, no speculation", plain.tokens_per_second, "tok/s")
    out.add("ft, draft model", fast.tokens_per_second, "tok/s", baseline="no speculation",
            baseline_value=plain.tokens_per_second,
            note=f"drafts accepted {fast.accepted}/{fast.drafted} ({fast.acceptance:.0%})")
    found = engine.divergence(prompt, plain.tokens, fast.tokens)
    out.add("output identical to greedy", "yes" if found is None else f"no: token {found[0]}, gap {found[1]:.4f}")
    engine.close()


# -- 5. memory and overflow ----------------------------------------------------------


def bench_memory(out: Figures, model: Path) -> None:
    code = (
        "import sys, resource\nfrom local_models.llama_engine import LlamaEngine\nfrom local_models.engine import GenerateOptions\n"
        "from ft.core.errors import ContextOverflow\n"
        "e = LlamaEngine(sys.argv[1], n_ctx=8192, n_threads=2)\n"
        "r = e.generate('word ' * 7000, GenerateOptions(max_tokens=16))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, r.prompt_tokens)\n"
        "try:\n    e.generate('word ' * 9000)\nexcept ContextOverflow as exc:\n    print(exc)\n"
    )
    child = subprocess.run([sys.executable, "-c", code, str(model)], capture_output=True, text=True, check=True)
    first, message = child.stdout.strip().split("\n", 1)
    rss, prompt = first.split()
    out.section("5. memory at n_ctx 8192")
    out.add(f"peak RSS after a {int(prompt):,}-token prompt", int(rss), "MB", target="≤ 1,536 MB")
    out.add("a 9,000-token prompt", "error", note=message.strip())


SECTIONS = ("decode", "lookup", "prefix", "draft", "memory")


def run(out: Figures, model: Path, document: str, examples: list[str], items: list[str], workdir: Path,
        rounds: int = 3, sections: tuple[str, ...] = SECTIONS) -> None:
    """The sections asked for, in order; the draft model is quantized once into ``workdir``."""
    from local_models.quantize import quantize

    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if "decode" in sections:
        bench_decode(out, model, rounds)
    if "lookup" in sections:
        bench_prompt_lookup(out, model, document, count=6)
    if "prefix" in sections:
        bench_prefix(out, model, classify_prefix(examples), items, workdir / "kv")
    if "draft" in sections:
        draft = workdir / "gemma-q4_0.gguf"
        if not draft.exists():
            quantize(model, draft, "q4_0")
        bench_draft(out, model, draft)
    if "memory" in sections:
        bench_memory(out, model)
    out.note(f"done in {time.perf_counter() - started:.0f} s; peak RSS of this process "
             f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
