"""``ft summarize`` and ``ft ask``: cited answers from the recursive reader."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ft.core.errors import FtError
from ft.tasks import reading
from ft.tasks.chapters import LONG_ITEM_CHARS, summarize_item

from . import render
from .app import app, library, progress
from .models import ModelName
from .options import Author, Json, Kind, Label, Since, Source, Until, make_filters

Rewrite = Annotated[bool, typer.Option("--rewrite", help="Let the model condense each cited sentence (kept only if grounded).")]
Abstractive = Annotated[Optional[bool], typer.Option(
    "--abstractive/--extractive",
    help="Let the model write (map, reduce, answer), each sentence grounding-checked, or choose source sentences "
         "[default: written when the chosen model is capable: an instruct model with a chat format, or a server].")]
Trace = Annotated[bool, typer.Option("--trace", help="Show each step: stage, depth, notes in and out, time.")]


def _printer(as_json: bool, bullets: bool = False):
    """Prints each cited sentence the moment the reader has it (nothing when the output is JSON)."""
    if as_json:
        return None

    def show(sentence: str, notes) -> None:
        cites = " ".join(n.cite for n in notes)
        render.out.print(("• " if bullets else "") + render.escape(sentence) + (f" [cyan]{render.escape(cites)}[/]" if cites else ""),
                         soft_wrap=True)

    return show


def _show(result, as_json: bool, trace: bool) -> None:
    if as_json:
        render.emit_json(result.to_dict())
        return
    if result.text == reading.NOT_FOUND:
        render.out.print(reading.NOT_FOUND)
    if result.ungrounded:
        render.err.print(f"[yellow]{len(result.ungrounded)} written sentences failed the grounding check; "
                         "the nearest cited source sentence stands in:[/]")
        for sentence in result.ungrounded:
            render.err.print(f"[dim]  ✗ {render.escape(sentence)}[/]", soft_wrap=True)
    if trace:
        render.err.print(f"[dim]{result.chunks} chunks read, {result.cached} from cached notes; "
                         f"depth {result.depth}, {result.calls} model calls[/]")
        for step in result.trace:
            render.err.print(f"[dim]  {step.stage:<8} depth {step.depth}  notes {step.notes_in} → {step.notes_out}  "
                             f"{step.seconds:.2f}s  calls {step.calls}  tokens {step.tokens_in}/{step.tokens_out}[/]")


@app.command()
def summarize(
    ctx: typer.Context,
    item_id: Annotated[Optional[int], typer.Argument(metavar="[ID]", help="The item; or filter a collection with the options.")] = None,
    source: Source = None, author: Author = None, label: Label = None, kind: Kind = None,
    since: Since = None, until: Until = None,
    bullets: Annotated[bool, typer.Option("--bullets", help="One cited point per line.")] = False,
    tldr: Annotated[bool, typer.Option("--tldr", help="Three sentences.")] = False,
    length: Annotated[Optional[int], typer.Option("--length", min=1, max=60, help="Sentences [default: 5 to 30, by input length].")] = None,
    model: ModelName = None, abstractive: Abstractive = None, rewrite: Rewrite = False, trace: Trace = False,
    as_json: Json = False,
) -> None:
    """Summarize an item of any length, or a collection, with a citation on every sentence.

    A long item (a transcript, a paper) becomes chapters in source order: a heading of its
    distinctive terms, then the sentences that carry them; a key-terms line opens it."""
    filters = make_filters(source, author, label, kind, since, until)
    with library(ctx) as lib:
        if item_id is not None:
            lib.get(item_id)
            ids, subject = [item_id], f"item:{item_id}"
        else:
            if filters.where()[0] == "1":
                raise FtError("summarize an ID, or a collection chosen by --label, --source, --since…")
            ids, subject = [i.id for i in lib.items(filters, limit=None)], None
        style = "tldr" if tldr else "bullets" if bullets else "summary"
        writer = reading.writer(lib, "summarize", model, abstractive)
        if (item_id is not None and writer is None and not (tldr or length or rewrite)
                and len(lib.get(item_id).text) >= LONG_ITEM_CHARS):
            _show(summarize_item(lib, item_id, on_sentence=_printer(as_json, bullets)), as_json, trace)
            return
        result = reading.summarize(lib, ids, 3 if tldr else length,
                                   lib.engine("summarize", model) if rewrite and writer is None else None,
                                   subject, style, on_sentence=_printer(as_json, bullets), writing_engine=writer)
    _show(result, as_json, trace)


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="A question about what you saved.")],
    scope: Annotated[Optional[str], typer.Option("--scope", help="Only these items: ids, comma-separated (12,40,41).")] = None,
    source: Source = None, author: Author = None, label: Label = None, kind: Kind = None,
    since: Since = None, until: Until = None,
    model: ModelName = None, abstractive: Abstractive = None, rewrite: Rewrite = False, trace: Trace = False,
    as_json: Json = False,
) -> None:
    """Answer from your library, citing where; says "not found in your library" rather than invent."""
    filters = make_filters(source, author, label, kind, since, until)
    if scope:
        try:
            filters.ids = [int(part) for part in scope.split(",") if part.strip()]
        except ValueError:
            raise FtError(f"--scope takes item ids separated by commas, not {scope!r}") from None
    with library(ctx) as lib:
        writer = reading.writer(lib, "ask", model, abstractive)
        with progress(as_json) as bar:  # vectors are built on demand: right after `ft add`, this is the wait
            task = bar.add_task("embedding", total=None)
            result = reading.ask(lib, question, filters,
                                 rewrite_engine=lib.engine("ask", model) if rewrite and writer is None else None,
                                 on_sentence=_printer(as_json), writing_engine=writer,
                                 progress=lambda done, total: bar.update(task, completed=done, total=total))
    _show(result, as_json, trace)
