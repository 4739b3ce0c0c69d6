"""``ft classify``, ``ft label`` and ``ft labels``: labelling the library from a taxonomy."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Optional

import typer

from ft.core.errors import FtError
from ft.tasks import classify as classifying
from ft.tasks.taxonomy import Taxonomy, from_names, load_taxonomies
from index.labels import label_counts

from . import render
from .app import app, library, progress, settings
from .models import ModelName
from .options import Json

labels_app = typer.Typer(help="Labels across the library: counts and merging near-duplicates.", no_args_is_help=True)
app.add_typer(labels_app, name="labels")

TaxonomyName = Annotated[str, typer.Option("--taxonomy", "-T", help="Which taxonomy (topic, kind, or one from config.json).")]
LabelsOption = Annotated[Optional[str], typer.Option("--labels", help="Labels for this run, comma-separated: a,b,c.")]
TaxonomyFile = Annotated[Optional[Path], typer.Option("--taxonomy-file", help="A JSON file of taxonomies: {name: {label: description}}.")]


def _taxonomy(ctx: typer.Context, name: str, labels: str | None, file: Path | None) -> Taxonomy:
    if labels:
        return from_names(name, labels)
    found = load_taxonomies(settings(ctx), file)
    if name not in found:
        raise FtError(f"no taxonomy {name!r}: define it in config.json, or pass --taxonomy-file or --labels a,b,c "
                      f"(known: {', '.join(found)})")
    return found[name]


@app.command()
def classify(
    ctx: typer.Context,
    taxonomy: TaxonomyName = "topic",
    labels: LabelsOption = None,
    taxonomy_file: TaxonomyFile = None,
    model: ModelName = None,
    force: Annotated[bool, typer.Option("--force", help="Redo every item, not only new and changed ones.")] = False,
    eval_file: Annotated[Optional[Path], typer.Option("--eval", help="Score against a labelled JSON Lines file instead.")] = None,
    discover: Annotated[bool, typer.Option("--discover", help="Propose a taxonomy from the library's clusters instead.")] = False,
    save: Annotated[Optional[Path], typer.Option("--save", help="With --discover: write the proposal here, to edit and use.")] = None,
    as_json: Json = False,
) -> None:
    """Label every new or changed item: embeddings first, the local model for close calls."""
    if discover:
        _discover(ctx, taxonomy, model, save, as_json)
        return
    chosen = _taxonomy(ctx, taxonomy, labels, taxonomy_file)
    with library(ctx) as lib:
        if eval_file:
            reports = classifying.evaluate(lib, chosen, eval_file, partial(lib.engine, "classify", model))
            for problem in reports[0].skipped:
                render.err.print(f"{eval_file}: {problem}")
            _show_eval(reports, as_json)
            return
        with progress(as_json) as bar:
            task = bar.add_task(f"classifying ({chosen.name})", total=None)
            report = classifying.classify_library(lib, chosen, partial(lib.engine, "classify", model), force,
                                                  progress=lambda done, total: bar.update(task, completed=done, total=total))
    if as_json:
        render.emit_json(report.to_dict())
        return
    render.out.print(
        f"{report.items} items classified into {chosen.name} ({report.by_embedding} by embeddings, {report.by_llm} by the "
        f"model, {report.rate:.1f} items/s); {report.unchanged} unchanged"
    )
    if report.labels:
        render.out.print("  " + ", ".join(f"{k} {v}" for k, v in report.labels.items()))
    if report.read_as:
        render.out.print("Names read as (a description in a taxonomy file overrides one):")
        for name, words in report.read_as.items():
            render.out.print(f"  {name}: {words}", markup=False, soft_wrap=True)


def _discover(ctx: typer.Context, name: str, model: str | None, save: Path | None, as_json: bool) -> None:
    import json

    from ft.tasks.discover import discover

    with library(ctx) as lib:
        proposals = discover(lib, partial(lib.engine, "classify", model))
    taxonomy = {name: {p.name: {"description": p.description} for p in proposals}}
    if save:
        save.write_text(json.dumps(taxonomy, indent=2, ensure_ascii=False) + "\n")
    if as_json:
        render.emit_json([p.__dict__ for p in proposals])
        return
    render.out.print(f"proposed taxonomy {name!r}: {len(proposals)} topics")
    for p in proposals:
        render.out.print(f"\n[bold]{render.escape(p.name)}[/] ({p.size} items) — {render.escape(p.description)}")
        for title in p.titles[:3]:
            render.out.print(f"    · {render.escape(title[:90])}")
    hint = f"edit {save}, then: ft classify --taxonomy-file {save}" if save else "save it with --save FILE, edit, then classify with --taxonomy-file FILE"
    render.out.print(f"\n{hint}")


def _show_eval(reports, as_json: bool) -> None:
    if as_json:
        render.emit_json([r.to_dict() for r in reports])
        return
    for r in reports:
        extra = f", {r.by_llm} decided by the model" if r.method == "cascade" else ""
        render.out.print(f"{r.method:<10} accuracy {r.accuracy:.3f}  macro-F1 {r.macro_f1:.3f}  ({len(r.truth)} items{extra})")
    last = reports[-1]
    names = last.labels
    render.out.print(f"\nconfusion ({last.method}; rows true, columns predicted):")
    render.out.print(" " * 12 + " ".join(f"{n[:6]:>6}" for n in names))
    for true, row in last.confusion().items():
        render.out.print(f"{true[:11]:<12}" + " ".join(f"{row[p]:>6}" for p in names))


@app.command()
def label(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID", help="The item.")],
    name: Annotated[str, typer.Argument(metavar="LABEL", help="Its label.")],
    taxonomy: TaxonomyName = "topic",
    labels: LabelsOption = None,
    taxonomy_file: TaxonomyFile = None,
) -> None:
    """Set an item's label yourself; classify keeps it and learns from it."""
    chosen = _taxonomy(ctx, taxonomy, labels, taxonomy_file)
    with library(ctx) as lib:
        classifying.set_label(lib, item_id, chosen, name)
    render.out.print(f"#{item_id} is {name} in {chosen.name}")


@labels_app.command("list")
def labels_list(ctx: typer.Context, as_json: Json = False) -> None:
    """Every label with its taxonomy and how many items carry it."""
    with library(ctx) as lib:
        rows = label_counts(lib.db)
    if as_json:
        render.emit_json([{"taxonomy": t, "label": l, "items": n, "by_user": u} for t, l, n, u in rows])
        return
    for t, l, n, u in rows:
        render.out.print(f"{t}/{render.escape(l)}: {n}" + (f" ({u} yours)" if u else ""))


@labels_app.command("merge-suggest")
def merge_suggest(
    ctx: typer.Context,
    threshold: Annotated[float, typer.Option(help="Cosine similarity above which two labels look like one.")] = 0.8,
    as_json: Json = False,
) -> None:
    """Pairs of labels that mean nearly the same, by the similarity of their names' embeddings."""
    from ft.tasks.labels import merge_suggestions

    with library(ctx) as lib:
        pairs = merge_suggestions(lib, threshold)
    if as_json:
        render.emit_json([{"taxonomy": t, "merge": a, "into": b, "similarity": s} for t, a, b, s in pairs])
        return
    if not pairs:
        render.out.print("no near-duplicate labels")
    for t, a, b, s in pairs:
        render.out.print(f"{t}: {render.escape(a)} → {render.escape(b)} ({s:.2f})   ft labels merge {a!r} {b!r} -T {t}")


@labels_app.command("merge")
def merge(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="A", help="The label to fold away.")],
    target: Annotated[str, typer.Argument(metavar="B", help="The label to keep.")],
    taxonomy: TaxonomyName = "topic",
) -> None:
    """Relabel every item labelled A as B (in one taxonomy)."""
    from ft.tasks.labels import merge_labels

    with library(ctx) as lib:
        moved = merge_labels(lib, taxonomy, source, target)
    render.out.print(f"{moved} items moved from {source} to {target} in {taxonomy}")
