"""Local language models: the llama.cpp engine, the model registry, an HTTP backend.

``load_engine()`` is the one way tasks get a model: by registry name, GGUF
path, ONNX GenAI model folder (``local_models.genai``) or server URL, falling back to
the task's default in the ``Settings`` it is handed and then to the shipped Gemma 3 270M.
"""

from __future__ import annotations

from pathlib import Path

from ft.core.settings import Settings

from .engine import Completion, Engine, GenerateOptions
from .health import require_healthy
from .registry import DEFAULT_MODEL, ModelInfo, Registry

__all__ = ["Completion", "DEFAULT_MODEL", "Engine", "GenerateOptions", "ModelInfo", "Registry", "load_engine"]


def load_engine(
    name: str | None = None,
    *,
    settings: Settings,
    task: str = "default",
    n_ctx: int | None = None,
    draft: str | None = None,
) -> Engine:
    """An engine for ``name`` (or the task's model in ``settings``), ready to generate.

    The caller hands the settings down (the ``Library`` owns them), so no model reads ``config.json``.
    """
    name = name or settings.model_for(task) or DEFAULT_MODEL
    if name.startswith(("http://", "https://")):
        from .remote import RemoteEngine

        return RemoteEngine(name, n_ctx=n_ctx or settings.n_ctx, parallel=settings.parallel)
    from .llama_engine import LlamaEngine

    if Path(name).expanduser().is_dir():
        from .genai import GenAIEngine

        return GenAIEngine(Path(name).expanduser(), settings.device, n_ctx or settings.n_ctx)
    registry = Registry(settings.home)
    if name.endswith(".gguf") and Path(name).expanduser().is_file():
        path, family, instruct = Path(name).expanduser(), "unknown", True
    else:
        info = registry.info(name)
        path, family, instruct = registry.path(name), info.family, info.instruct
    require_healthy(settings.home, registry.path(DEFAULT_MODEL) if registry.info(DEFAULT_MODEL).available else path)
    draft = draft or settings.models.get("draft")
    draft_path = None
    if draft:
        draft_path = Path(draft).expanduser() if draft.endswith(".gguf") else registry.path(draft)
    return LlamaEngine(
        path,
        n_ctx=n_ctx or settings.n_ctx,
        n_threads=settings.n_threads,
        n_gpu_layers=settings.n_gpu_layers,
        draft_path=draft_path,
        cache_dir=settings.home / "cache",
        model_id=name if not name.endswith(".gguf") else path.stem,
        family=family,
        instruct=instruct,
    )
