"""Model commands: ``ft generate``, ``ft chat`` and ``ft models list|info|add|remove``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from local_models import GenerateOptions, Registry, load_engine

from . import render
from .app import app, home, settings
from .options import Json

models_app = typer.Typer(help="The models ft can run: shipped defaults and your own GGUF files.", no_args_is_help=True)
app.add_typer(models_app, name="models")

ModelName = Annotated[
    Optional[str],
    typer.Option("--model", "-m", help="A model name (ft models list), a .gguf path or an http(s):// server URL."),
]
Ctx = Annotated[Optional[int], typer.Option("--ctx", help="Context size in tokens [default: config, 4096].")]


def _options(max_tokens: int, temperature: float, seed: int, stop: list[str], speculation: str,
             grammar: Path | None, json_schema: Path | None) -> GenerateOptions:
    return GenerateOptions(
        max_tokens=max_tokens, temperature=temperature, seed=seed, stop=tuple(stop), speculation=speculation,
        grammar=grammar.read_text() if grammar else None,
        json_schema=json.loads(json_schema.read_text()) if json_schema else None,
    )


def _stream(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@app.command()
def generate(
    ctx: typer.Context,
    prompt: Annotated[str, typer.Argument(help="The text to continue ('-' reads it from stdin).")],
    model: ModelName = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", "-n", min=1)] = 256,
    temperature: Annotated[float, typer.Option("--temperature", "-t", min=0.0, help="0 is greedy.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed for sampling when temperature > 0.")] = 0,
    stop: Annotated[list[str], typer.Option("--stop", help="Stop at this text (repeatable).")] = [],  # noqa: B006
    speculation: Annotated[str, typer.Option(help="none, prompt (n-gram lookup) or draft (needs a draft model).")] = "none",
    grammar: Annotated[Optional[Path], typer.Option(help="A GBNF grammar file the output must follow.")] = None,
    json_schema: Annotated[Optional[Path], typer.Option("--json-schema", help="A JSON Schema file the output must follow.")] = None,
    n_ctx: Ctx = None,
    stats: Annotated[bool, typer.Option("--stats", help="Print tokens, speed and acceptance to stderr.")] = False,
    as_json: Json = False,
) -> None:
    """Continue a prompt with a local model, streaming the text."""
    if prompt == "-":
        prompt = sys.stdin.read()
    options = _options(max_tokens, temperature, seed, stop, speculation, grammar, json_schema)
    with load_engine(model, settings=settings(ctx), n_ctx=n_ctx) as engine:
        result = engine.generate(prompt, options, on_text=None if as_json else _stream)
    if as_json:
        render.emit_json({"model": engine.model_id, **result.to_dict()})
        return
    print(flush=True)
    if stats:
        _print_stats(result)


@app.command()
def chat(
    ctx: typer.Context,
    model: ModelName = None,
    system: Annotated[Optional[str], typer.Option(help="A system message to start with.")] = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", "-n", min=1)] = 512,
    temperature: Annotated[float, typer.Option("--temperature", "-t", min=0.0)] = 0.0,
    n_ctx: Ctx = None,
) -> None:
    """Talk with a local model; one line per message, an empty line or Ctrl-D ends."""
    messages = [{"role": "system", "content": system}] if system else []
    options = GenerateOptions(max_tokens=max_tokens, temperature=temperature)
    with load_engine(model, settings=settings(ctx), n_ctx=n_ctx) as engine:
        render.err.print(f"chatting with {engine.model_id}; an empty line ends")
        for line in sys.stdin:
            if not line.strip():
                break
            messages.append({"role": "user", "content": line.strip()})
            reply = engine.chat(messages, options, on_text=_stream)
            print()
            messages.append({"role": "assistant", "content": reply.text.strip()})


def _print_stats(result) -> None:
    line = (f"{len(result.tokens)} tokens, {result.tokens_per_second:.1f} tok/s decode; prompt {result.prompt_tokens} "
            f"tokens ({result.prompt_evaluated} evaluated) in {result.prefill_seconds:.2f}s; stop: {result.stop_reason}")
    if result.drafted:
        line += f"; drafts accepted {result.accepted}/{result.drafted} ({result.acceptance:.0%})"
    render.err.print(line)


@models_app.command("list")
def list_models(ctx: typer.Context, as_json: Json = False) -> None:
    """Models ft knows, whether each is available, and where it is."""
    found = Registry(home(ctx)).list()
    if as_json:
        render.emit_json([m.to_dict() for m in found])
        return
    for m in found:
        mark = "[green]✓[/]" if m.available else "[yellow]✗[/]"
        kind = "instruct" if m.instruct else "base"
        render.out.print(f"{mark} [bold]{render.escape(m.name)}[/] ({m.origin}, {m.family}, {kind}) "
                         f"{render.escape(m.path or '')} {render.escape(m.note)}", soft_wrap=True)


@models_app.command("info")
def model_info(ctx: typer.Context, name: Annotated[str, typer.Argument(help="A model name.")], as_json: Json = False) -> None:
    """One model's details, read from its GGUF: architecture, size, context, chat template."""
    from local_models.llama_api import Model

    registry = Registry(home(ctx))
    info = registry.info(name)
    path = registry.path(name)
    model = Model(path)
    try:
        details = {
            **info.to_dict(), "path": str(path), "bytes": path.stat().st_size,
            "architecture": model.meta("general.architecture"), "vocab": model.n_vocab,
            "context_trained": model.n_ctx_train, "chat_template": model.chat_template() is not None,
        }
    finally:
        model.close()
    if as_json:
        render.emit_json(details)
    else:
        for key, value in details.items():
            render.out.print(f"[bold]{key}[/]: {render.escape(str(value))}")


@models_app.command("add")
def add_model(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A .gguf file.")],
    name: Annotated[Optional[str], typer.Option(help="What to call it [default: the file name].")] = None,
    base: Annotated[bool, typer.Option("--base", help="A base (not instruction-tuned) model: prompt it as a transcript.")] = False,
) -> None:
    """Register a GGUF model of your own."""
    info = Registry(home(ctx)).add(path, name, instruct=not base)
    render.out.print(f"added {info.name}: {info.path}")


@models_app.command("remove")
def remove_model(ctx: typer.Context, name: Annotated[str, typer.Argument(help="A user model's name.")]) -> None:
    """Forget a user model (the file is left alone)."""
    Registry(home(ctx)).remove(name)
    render.out.print(f"removed {name}")


@models_app.command("quantize")
def quantize_model(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A model name or .gguf path to start from.")],
    kind: Annotated[str, typer.Option("--type", help="q2_k, q3_k_m, q4_0, q4_k_m, q5_k_m, q6_k or q8_0.")] = "q4_0",
    as_name: Annotated[Optional[str], typer.Option("--name", help="Register the copy under this name.")] = None,
) -> None:
    """Write a more quantized copy of a model (e.g. a draft model for speculation) and register it."""
    from local_models.quantize import quantize

    registry = Registry(home(ctx))
    source = Path(name) if name.endswith(".gguf") else registry.path(name)
    target_name = as_name or f"{Path(name).stem}-{kind}"
    target = quantize(source, registry.cache / f"{target_name}.gguf", kind)
    info = registry.add(target, target_name, instruct=registry.info(name).instruct if not name.endswith(".gguf") else True)
    render.out.print(f"wrote {target} and registered it as {info.name}; use it as a draft with "
                     f"{{\"models\": {{\"draft\": \"{info.name}\"}}}} in config.json")


@models_app.command("devices")
def devices(
    ctx: typer.Context,
    device: Annotated[Optional[str], typer.Option(help="Preference to explain: auto, npu, gpu, cpu or a provider name.")] = None,
    as_json: Json = False,
) -> None:
    """Which ONNX Runtime execution providers exist here, which ft would use, and why."""
    from npu import providers

    wanted = device or settings(ctx).device
    offered = providers.available()
    chosen = providers.plan(wanted, offered)[0]
    rows = [{"provider": c.provider, "device": c.device, "present": c.provider in offered, "about": c.why}
            for c in providers.KNOWN]
    if as_json:
        render.emit_json({"preference": wanted, "available": offered, "devices": providers.devices(),
                          "chosen": chosen.provider, "providers": rows})
        return
    render.out.print(f"preference: {wanted}; ONNX Runtime offers: {', '.join(offered)}")
    for row in rows:
        mark = "[green]✓[/]" if row["present"] else "[dim]✗[/]"
        render.out.print(f"  {mark} {row['device']:<3} {row['provider']:<28} {render.escape(row['about'])}")
    absent = sorted({r["provider"] for r in rows if not r["present"] and r["device"] != "cpu"})
    render.out.print(f"chosen: [bold]{chosen.provider}[/] ({chosen.why})"
                     + (f"; absent here: {', '.join(absent)}" if absent else ""))


@models_app.command("quantize-embedder")
def quantize_embedder(
    ctx: typer.Context,
    samples: Annotated[int, typer.Option(help="Library chunks to calibrate on (64 are held out to check).")] = 320,
    seq: Annotated[int, typer.Option(help="The fixed sequence length NPUs will see.")] = 128,
    batch: Annotated[int, typer.Option(help="The fixed batch size.")] = 8,
) -> None:
    """Build a static-shape QDQ int8 embedder for NPUs, calibrated on your own library."""
    from .app import library

    with library(ctx) as lib:
        path, mean, low = lib.quantize_embedder(samples, seq, batch)
    render.out.print(f"wrote {path} (input shape [{batch}, {seq}]); cosine agreement with the float model on "
                     f"held-out chunks: mean {mean:.4f}, min {low:.4f}. NPU providers will use it from now on.")
