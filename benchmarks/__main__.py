"""``python -m benchmarks NAME``: ft's figures, each beside its baseline in one run (``ft bench NAME``).

engine, import, embed, search, classify, summarize, parallel, written, map and tui print aligned
rows, or with ``--json`` one JSON document (``benchmarks.figures``). ``stress``
(``make stress``) runs the hardening parts, crash, concurrency, fuzz and scale,
and exits 1 when a figure misses its target: items lost, duplicates, incomplete
resumes, integrity failures, "database is locked" or importer crashes.
Run from a source checkout: the benches read the demo library.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from .figures import measuring

DEMO = Path(__file__).resolve().parent.parent / "demo" / "library"
TOPICS = ["speculative decoding", "KV caches", "NPU inference", "int4 quantization", "RLHF reward models",
          "vector search", "SQLite WAL", "robot arms", "GPU kernels", "long-context summarization"]
FORMS = ["A new paper on {}", "Released: an open-source library for {}", "Why I think {} is overrated",
         "Launching our product for {} today", "How to get started with {}", "{} in the news this week",
         "Can anyone explain {} to me?", "Benchmarks of {} on a laptop", "Notes from a talk on {}",
         "A thread on the history of {}", "Tutorial: {} from scratch", "Hot take on {}",
         "Survey of {} methods", "What broke when we shipped {}", "Ask me anything about {}",
         "A reading list for {}", "The maths behind {}", "Lessons from a year of {}",
         "A visual guide to {}", "Job post: engineer for {}"]


def _settings():
    """FT_HOME's config.json, read once: the benches use the models and embedder it names."""
    from ft.core.config import default_home, load_settings

    return load_settings(default_home())


def _home() -> Path:
    return _settings().home


def _model() -> Path:
    """The shipped Gemma 3 270M, after the engine check: a build that crashes is refused, not run."""
    from local_models import DEFAULT_MODEL, Registry
    from local_models.health import require_healthy

    model = Registry(_home()).path(DEFAULT_MODEL)
    require_healthy(_home(), model)
    return model


def _paragraphs(*names: str) -> list[str]:
    return [p for name in names for p in (DEMO / name).read_text().split("\n\n") if len(p.strip()) > 40]


def bench_engine(out, args) -> bool:
    from . import engine

    document = (DEMO / "channel-preview.txt").read_text()
    bookmarks = [json.loads(line)["text"] for line in (DEMO / "bookmarks.jsonl").read_text().splitlines() if line.strip()]
    entries = [" ".join(p.split())[:240] for p in (DEMO / "links-roundup.txt").read_text().split("\n\n") if len(p) > 200]
    items = [form.format(topic) for form in FORMS for topic in TOPICS]
    engine.run(out, _model(), document, bookmarks + entries[:6], items, args.workdir / "engine", args.rounds,
               tuple(args.only.split(",")))
    return True


def bench_import(out, args) -> bool:
    from . import storage

    return storage.run(out, args.items or 100_000, args.queries or 300, args.workdir / "import")


def bench_embed(out, args) -> bool:
    from . import storage

    texts = _paragraphs("channel-preview.txt", "links-roundup.txt", "talk-transcript.txt")
    if args.model:
        storage.run_remote_embedding(out, (texts * 8)[: args.texts], args.model, _home() / "models", args.parallel,
                                     args.batch, args.rounds)
    else:
        storage.run_embedding(out, (texts * 8)[: args.texts], _home() / "models", args.rounds)
    return True


def bench_search(out, args) -> bool:
    from . import storage

    storage.run_vectors(out, _home() / "models", args.items or 100_000, args.queries or 200, args.workdir / "vectors")
    return True


def bench_classify(out, args) -> bool:
    import ft
    from ft.core.settings import Settings
    from ft.tasks.taxonomy import load_taxonomies
    from local_models import load_engine

    from . import tasks

    workdir = args.workdir / "classify"
    with ft.Library(workdir) as lib:
        lib.import_path(DEMO)
        lib.embed()
        taxonomy = load_taxonomies(Settings(workdir), DEMO.parent / "taxonomy.json")["topic"]
        settings = _settings()
        tasks.run_classify(out, lib, taxonomy, DEMO.parent / "labels.jsonl", _model(),
                           lambda: load_engine(settings=settings))
    return True


def bench_summarize(out, args) -> bool:
    import ft

    from . import tasks

    workdir = args.workdir / "summarize"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    texts = [p.read_text() for p in sorted(DEMO.rglob("*")) if p.suffix in (".txt", ".md", ".srt", ".vtt")]
    transcript = workdir / "four-hours.txt"
    transcript.write_text(tasks.long_transcript(texts))
    with ft.Library(workdir / "home") as lib:
        tasks.run_summarize(out, lib, transcript, "how does speculative decoding verify the draft tokens")
    return True


def _smollm2() -> Path:
    """The shipped instruct model, SmolLM2-135M-Instruct, after the engine check."""
    from local_models import Registry
    from local_models.health import require_healthy

    model = Registry(_home()).path("smollm2-135m")
    require_healthy(_home(), model)
    return model


def bench_parallel(out, args) -> bool:
    import ft
    from ft.core.settings import Settings
    from ft.tasks.taxonomy import load_taxonomies

    from . import parallel, servers

    workdir = args.workdir / "parallel"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    process, url = servers.serve(_smollm2(), workdir / "server.log") if args.server is None else (None, args.server)
    try:
        with ft.Library(workdir / "home") as lib:
            lib.import_path(DEMO)
            taxonomy = load_taxonomies(Settings(workdir), DEMO.parent / "taxonomy.json")["topic"]
            parallel.run(out, lib, url, taxonomy, DEMO.parent / "labels.jsonl",
                         (DEMO / "talk-transcript.txt").read_text(), args.parallel, args.chunks, args.items)
    finally:
        if process is not None:
            servers.stop(process)
    return True


def bench_written(out, args) -> bool:
    import ft

    from . import tasks

    workdir = args.workdir / "written"
    shutil.rmtree(workdir, ignore_errors=True)
    with ft.Library(workdir) as lib:
        tasks.run_written(out, lib, DEMO / args.transcript, args.length, args.n_ctx)
    return True


def bench_map(out, args) -> bool:
    from local_models import load_engine

    from . import tasks

    settings = _settings()
    tasks.run_map(out, args.items or 50_000, args.workdir / "map", lambda: load_engine(settings=settings))
    return True


def bench_tui(out, args) -> bool:
    from . import tui

    tui.run(out, args.items or 10_000, args.workdir / "tui")
    return True


BENCHES = {
    "engine": (bench_engine, "decode speed, speculation, prefix reuse, draft model and memory of the llama.cpp engine"),
    "import": (bench_import, "import rate, peak memory and keyword-search latency at library scale"),
    "embed": (bench_embed, "embedding throughput (ONNX int8 vs sentence-transformers) and their agreement; "
                           "with --model URL, an embedding server's at 1 and N requests in flight"),
    "search": (bench_search, "semantic and hybrid search latency at scale, against a Python loop over stored vectors"),
    "classify": (bench_classify, "the classification cascade against a naive create_chat_completion loop"),
    "summarize": (bench_summarize, "summarize a ≥ 250 KB transcript: cold, then a question and again"),
    "parallel": (bench_parallel, "a model server sent one request at a time against several: classify and map "
                                 "notes, same results, the wall-time ratio"),
    "written": (bench_written, "extractive against model-written summary of one transcript with the shipped "
                               "instruct model: time, calls, tokens, grounding"),
    "map": (bench_map, "ft viz map at scale: cluster, name, draw HTML and PNG; then again with cached names"),
    "tui": (bench_tui, "the TUI's startup: a fresh process to its first screen"),
}


def stress(args) -> bool:
    """The hardening figures: SIGKILL per writing command, writer + readers, fuzzing, a huge library."""
    ok = True
    workdir = args.workdir / "stress"
    workdir.mkdir(parents=True, exist_ok=True)
    if args.part in ("crash", "all"):
        from . import crash

        print(f"== crash safety: SIGKILL at a random moment, {args.kills} times per command, then re-run")
        figures = crash.run(args.commands.split(","), args.kills, workdir)
        crash.report(figures)
        ok &= all(f.ok for f in figures)
    if args.part in ("concurrency", "all"):
        from . import concurrency

        print("== concurrency")
        roles = concurrency.run(args.seconds, workdir)
        concurrency.report(roles, args.seconds)
        ok &= not any(r.locked or r.errors for r in roles)
    if args.part in ("fuzz", "all"):
        from . import fuzz

        print(f"== fuzzing: {args.cases} cases per importer")
        ok &= fuzz.main(args.cases)
    if args.part in ("scale", "all"):
        from . import scale

        print(f"== scale: {args.items or 1_000_000:,} items")
        scale.run(args.items or 1_000_000, workdir / "scale")
    print("all figures at their targets" if ok else "SOME FIGURES MISSED THEIR TARGETS")
    return ok


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="ft bench", description=__doc__.splitlines()[0])
    names = top.add_subparsers(dest="bench", required=True)
    for name, (_, about) in BENCHES.items():
        sub = names.add_parser(name, help=about, description=about)
        sub.add_argument("--json", action="store_true", help="print one JSON document of the figures, nothing else")
        sub.add_argument("--workdir", type=Path, default=Path(".bench"), help="scratch folder (parts replaced)")
        if name in ("import", "search", "map", "tui"):
            sub.add_argument("--items", type=int, help="items (or stored vectors) in the synthetic library")
        if name in ("import", "search"):
            sub.add_argument("--queries", type=int, help="queries to time")
        if name in ("engine", "embed"):
            sub.add_argument("--rounds", type=int, default=3 if name == "engine" else 2, help="interleaved rounds")
        if name == "embed":
            sub.add_argument("--texts", type=int, default=600, help="demo paragraphs to embed (repeated past 74)")
            sub.add_argument("--model", help="an embedding server (http://host:port): its throughput with one "
                             "request in flight and with --parallel, beside the local model")
            sub.add_argument("--parallel", type=int, default=4, help="requests in flight to the server")
            sub.add_argument("--batch", type=int, default=8, help="texts a request to the server")
        if name == "parallel":
            sub.add_argument("--parallel", type=int, default=4, help="requests in flight, against 1")
            sub.add_argument("--chunks", type=int, default=8, help="transcript chunks the map writes notes for")
            sub.add_argument("--items", type=int, help="labelled demo items to classify [default: all 41]")
            sub.add_argument("--server", help="an OpenAI-compatible server URL serving the model "
                                              "[default: start llama_cpp.server with SmolLM2-135M-Instruct]")
        if name == "written":
            sub.add_argument("--transcript", default="talk-transcript.txt", help="a file of demo/library")
            sub.add_argument("--length", type=int, default=5, help="sentences in each summary")
            sub.add_argument("--n-ctx", type=int, default=2048, help="the model's context (smaller: more reduce levels)")
        if name == "engine":
            sub.add_argument("--only", default="decode,lookup,prefix,draft,memory",
                             help="sections to run: decode,lookup,prefix,draft,memory")
    sub = names.add_parser("stress", help="the hardening figures (make stress, about 25 minutes)")
    sub.add_argument("part", nargs="?", default="all", choices=["crash", "concurrency", "fuzz", "scale", "all"])
    sub.add_argument("--kills", type=int, default=20, help="SIGKILLs per command (crash)")
    sub.add_argument("--commands", default="import,sync-x,embed,classify", help="which commands to kill (crash)")
    sub.add_argument("--seconds", type=float, default=60, help="how long writer and readers run (concurrency)")
    sub.add_argument("--cases", type=int, default=1000, help="fuzz cases per importer")
    sub.add_argument("--items", type=int, help="items in the synthetic library (scale; default 1,000,000)")
    sub.add_argument("--workdir", type=Path, default=Path(".bench"), help="scratch folder (parts replaced)")
    return top


def main(argv: list[str] | None = None) -> int:
    from ft.core.errors import FtError

    args = parser().parse_args(argv)
    try:
        if args.bench == "stress":
            return 0 if stress(args) else 1
        run, _ = BENCHES[args.bench]
        with measuring(args.bench, args.json) as out:
            ok = run(out, args)
    except FtError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
