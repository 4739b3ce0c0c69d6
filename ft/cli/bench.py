"""``ft bench import`` and ``ft bench engine``: each claim beside its baseline, in one run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ft.core.errors import FtError

from .app import app, home, settings

bench_app = typer.Typer(help="Measure ft against its baselines; figures go in BENCHMARKS.md.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")

DEMO = Path(__file__).resolve().parents[2] / "demo" / "library"
TOPICS = ["speculative decoding", "KV caches", "NPU inference", "int4 quantization", "RLHF reward models",
          "vector search", "SQLite WAL", "robot arms", "GPU kernels", "long-context summarization"]
FORMS = ["A new paper on {}", "Released: an open-source library for {}", "Why I think {} is overrated",
         "Launching our product for {} today", "How to get started with {}", "{} in the news this week",
         "Can anyone explain {} to me?", "Benchmarks of {} on a laptop", "Notes from a talk on {}",
         "A thread on the history of {}", "Tutorial: {} from scratch", "Hot take on {}",
         "Survey of {} methods", "What broke when we shipped {}", "Ask me anything about {}",
         "A reading list for {}", "The maths behind {}", "Lessons from a year of {}",
         "A visual guide to {}", "Job post: engineer for {}"]


def _demo(name: str) -> Path:
    path = DEMO / name
    if not path.exists():
        raise FtError(f"{path} is missing: ft bench engine runs from a source checkout of ft")
    return path


@bench_app.command("import")
def bench_import(
    items: Annotated[int, typer.Option(help="Synthetic items to import.")] = 100_000,
    queries: Annotated[int, typer.Option(help="Keyword queries to time.")] = 300,
    workdir: Annotated[Path, typer.Option(help="Scratch folder (replaced).")] = Path(".bench/import"),
) -> None:
    """Import rate, peak memory and keyword-search latency at library scale."""
    from index.benchmark import run

    if not run(items, queries, workdir):
        raise typer.Exit(1)


@bench_app.command("embed")
def bench_embed(ctx: typer.Context, rounds: Annotated[int, typer.Option(help="Interleaved rounds.")] = 2) -> None:
    """Embedding throughput (ONNX int8 vs sentence-transformers) and their agreement."""
    from index.benchmark import run_embedding

    texts = [p for name in ("channel-preview.txt", "links-roundup.txt", "talk-transcript.txt") for p in
             _demo(name).read_text().split("\n\n") if len(p.strip()) > 40]
    run_embedding((texts * 8)[:600], home(ctx) / "models", rounds)


@bench_app.command("search")
def bench_search(
    ctx: typer.Context,
    chunks: Annotated[int, typer.Option(help="Stored vectors.")] = 100_000,
    queries: Annotated[int, typer.Option(help="Queries to time.")] = 200,
    workdir: Annotated[Path, typer.Option(help="Scratch folder (replaced).")] = Path(".bench/vectors"),
) -> None:
    """Semantic and hybrid search latency at scale, against a Python loop over stored vectors."""
    from index.benchmark import run_vectors

    run_vectors(home(ctx) / "models", chunks, queries, workdir)


@bench_app.command("classify")
def bench_classify(ctx: typer.Context) -> None:
    """The classification cascade against a naive create_chat_completion loop, on the labelled demo items."""
    import ft
    from ft.benchmark import run_classify
    from ft.core.settings import Settings
    from ft.tasks.taxonomy import load_taxonomies
    from local_models import Registry, load_engine

    root = DEMO.parent
    workdir = Path(".bench/classify")
    with ft.Library(workdir) as lib:
        lib.import_path(DEMO)
        lib.embed()
        taxonomy = load_taxonomies(Settings(workdir), root / "taxonomy.json")["topic"]
        run_classify(lib, taxonomy, root / "labels.jsonl", Registry(home(ctx)).path("gemma3-270m"),
                     lambda: load_engine(settings=settings(ctx)))


@bench_app.command("summarize")
def bench_summarize() -> None:
    """Summarize a ≥ 250 KB transcript assembled from the demo texts: cold, then a question and again."""
    import shutil

    import ft
    from ft.benchmark import long_transcript, run_summarize

    workdir = Path(".bench/summarize")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    texts = [p.read_text() for p in sorted(DEMO.rglob("*")) if p.suffix in (".txt", ".md", ".srt", ".vtt")]
    transcript = workdir / "four-hours.txt"
    transcript.write_text(long_transcript(texts))
    with ft.Library(workdir / "home") as lib:
        run_summarize(lib, transcript, "how does speculative decoding verify the draft tokens")


@bench_app.command("map")
def bench_map(ctx: typer.Context, items: Annotated[int, typer.Option(help="Items on the map.")] = 50_000) -> None:
    """ft viz map at scale: cluster, name, draw HTML and PNG; then again with cached names."""
    from ft.benchmark import run_map
    from local_models import load_engine

    print(f"the map of {items:,} items")
    run_map(items, Path(".bench/map"), lambda: load_engine(settings=settings(ctx)))


TUI_FIRST_SCREEN = """
import asyncio, sys, time
started = time.perf_counter()
from tui import make_app

async def main():
    app = make_app(sys.argv[1])
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.pause(0)
        print(time.perf_counter() - started, app.query_one("#items").row_count)

asyncio.run(main())
"""


@bench_app.command("tui")
def bench_tui(items: Annotated[int, typer.Option(help="Items in the library.")] = 10_000) -> None:
    """The TUI's startup: a fresh process to its first screen, on a library of ``items`` items."""
    import shutil
    import statistics
    import subprocess
    import sys

    import ft
    from index import Record

    workdir = Path(".bench/tui")
    shutil.rmtree(workdir, ignore_errors=True)
    with ft.Library(workdir) as lib:
        lib.add(Record("synthetic", str(n), title=f"item {n} about topic {n % 50}", text="some words " * 50)
                for n in range(items))
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", TUI_FIRST_SCREEN, str(workdir)], capture_output=True, text=True, check=True)
        seconds, rows = out.stdout.split()
        runs.append(float(seconds))
    print(f"ft tui on {items:,} items: process start to first screen (median of 3) "
          f"{statistics.median(runs):.2f} s, {rows} rows shown; target ≤ 1 s")


@bench_app.command("engine")
def bench_engine(
    ctx: typer.Context,
    rounds: Annotated[int, typer.Option(help="Interleaved rounds of the decode comparison.")] = 3,
    only: Annotated[str, typer.Option(help="Sections to run: decode,lookup,prefix,draft,memory.")] = "decode,lookup,prefix,draft,memory",
    workdir: Annotated[Path, typer.Option(help="Scratch folder for saved states and the draft model.")] = Path(".bench/engine"),
) -> None:
    """Decode speed, speculation, prefix reuse, draft model and memory of the llama.cpp engine."""
    from local_models import Registry
    from local_models.benchmark import run

    model = Registry(home(ctx)).path("gemma3-270m")
    document = _demo("channel-preview.txt").read_text()
    bookmarks = [json.loads(line)["text"] for line in _demo("bookmarks.jsonl").read_text().splitlines() if line.strip()]
    entries = [" ".join(p.split())[:240] for p in _demo("links-roundup.txt").read_text().split("\n\n") if len(p) > 200]
    items = [form.format(topic) for form in FORMS for topic in TOPICS]
    run(model, document, bookmarks + entries[:6], items, workdir, rounds, tuple(only.split(",")))
