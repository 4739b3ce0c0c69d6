"""``ft eval``: how well ft reads your own files — retrieval, answers, labels, summaries, splitting."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ft.tasks import evaluate

from . import render
from .app import app, library
from .classify import LabelsOption, TaxonomyFile, TaxonomyName, _taxonomy
from .models import ModelName
from .options import Json

measure_app = typer.Typer(help="Measure ft on your own evaluation files (JSON Lines; see `ft eval questions --help`).",
                       no_args_is_help=True)
app.add_typer(measure_app, name="eval")

CasesFile = Annotated[Path, typer.Argument(help="The evaluation set: JSON Lines, one case a line.")]
Split = Annotated[Optional[str], typer.Option("--split", help="Only cases with this \"split\" (dev, test) [default: all].")]


def _emit(figures: dict[str, Any], as_json: bool, headline: list[str]) -> None:
    """The figures as JSON, or the headline figures as ``name value`` lines."""
    if as_json:
        render.emit_json(figures)
        return
    for key in headline:
        render.out.print(f"{key:<22} {figures[key]}")


@measure_app.command("questions")
def questions(
    ctx: typer.Context, file: CasesFile, split: Split = None,
    k: Annotated[int, typer.Option("-k", min=1, help="Recall is counted in the top k search results.")] = 5,
    as_json: Json = False,
) -> None:
    """Search recall@k and MRR, and the share of `ft ask` answers holding an expected string.

    Each line: {"q": "…", "expect": ["accepted phrasing", …], "split": "dev"}; an empty "expect"
    marks a question the library cannot answer (the answer must be "not found in your library")."""
    cases = evaluate.load_cases(file, split)
    with library(ctx) as lib:
        lib.embed()
        figures = {"retrieval": evaluate.retrieval(lib, cases, k), "answers": evaluate.answers(lib, cases)}
    if as_json:
        render.emit_json(figures)
        return
    for case in figures["answers"]["cases"]:
        render.out.print(("ok   " if case["ok"] else "MISS ") + render.escape(case["q"]), soft_wrap=True)
    _emit(figures["retrieval"], False, ["questions", f"recall@{k}", "mrr"])
    _emit(figures["answers"], False, ["correct", "answerable_correct", "unanswerable_correct"])


@measure_app.command("segments")
def segments(
    ctx: typer.Context, file: CasesFile, split: Split = None,
    root: Annotated[Path, typer.Option("--root", help="Where relative file names start [default: here].")] = Path("."),
    as_json: Json = False,
) -> None:
    """Boundary precision, recall and F1 of splitting text dumps into posts, as `ft add` splits them
    (a file it would not read as a dump is one item).

    Each line: {"file": "dump.txt", "lines": [first, last], "starts": [line where a post starts, …]}."""
    with library(ctx) as lib:  # the library's embedder: splitting reads meaning as well as line shapes
        figures = evaluate.segmentation(evaluate.load_cases(file, split), root, lib.embedder.embed)
    if not as_json:
        for case in figures["cases"]:
            kept_whole = "" if case["read_as"] == "x-text" else f"  (read as {case['read_as']}: one item)"
            render.out.print(f"{case['file']} {case['lines']}: F1 {case['f1']}  missed {case['missed']}  "
                             f"extra {case['extra']}{kept_whole}")
    _emit(figures, as_json, ["boundaries", "precision", "recall", "f1"])


@measure_app.command("labels")
def labels(
    ctx: typer.Context, file: CasesFile, split: Split = None,
    taxonomy: TaxonomyName = "topic", labels: LabelsOption = None, taxonomy_file: TaxonomyFile = None,
    model: ModelName = None, as_json: Json = False,
) -> None:
    """Macro-F1 and confusion of `ft classify` on labelled items: {"title": "…", "label": "…"}."""
    chosen = _taxonomy(ctx, taxonomy, labels, taxonomy_file)
    with library(ctx) as lib:
        lib.embed()
        figures = evaluate.labels(lib, chosen, file, split, partial(lib.engine, "classify", model))
    for problem in figures["skipped"]:
        render.err.print(f"{file}: {problem}")
    _emit(figures, as_json, ["items", "macro_f1", "accuracy"])


@measure_app.command("summary")
def summary(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="The item to summarize.")],
    checklist: Annotated[Path, typer.Option("--checklist", help="{\"point\": …, \"any\": [phrasings]} a line.")],
    split: Split = None, as_json: Json = False,
) -> None:
    """How many checklist points `ft summarize ID` covers, and how long it took."""
    from ft.tasks.chapters import summarize_item

    cases = evaluate.load_cases(checklist, split)
    with library(ctx) as lib:
        lib.get(item_id)
        started = time.perf_counter()
        text = summarize_item(lib, item_id).text
        figures = {**evaluate.summary_coverage(text, cases), "seconds": round(time.perf_counter() - started, 1)}
    _emit(figures, as_json, ["points", "covered", "missed", "seconds"])
