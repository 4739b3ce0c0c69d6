"""``Settings``: everything ``config.json`` may set, parsed once and handed down.

The layers below the ``Library`` (models, tasks, sync) take a ``Settings``
instead of reading the file themselves, so one process reads it once and
every part sees the same values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Settings"]


@dataclass
class Settings:
    """What ``config.json`` in the ft home may set; every field but ``home`` has a working default.

    ``models`` maps a task (``default``, ``classify``, ``summarize``, ``ask``,
    ``draft``) to a model name, a GGUF path or an ``http(s)://`` server URL.
    ``taxonomies`` and ``x`` are kept as written: ``ft.tasks.taxonomy`` and
    ``ft.sync.xsync`` give them meaning.
    """

    home: Path  # the ft home: the library, models, caches and config.json live here
    n_ctx: int = 4096
    n_threads: int | None = None
    n_gpu_layers: int = 0
    parallel: int = 1  # requests sent to a model server at once (classification, map steps, cluster names)
    models: dict[str, str] = field(default_factory=dict)
    embedder: str = "minilm-int8"  # minilm-int8 (ONNX), minilm (sentence-transformers), a .onnx path, a folder or a server URL
    embed_batch: int = 32  # texts per request to an embedding server
    embed_parallel: int = 4  # requests in flight to an embedding server
    device: str = "auto"  # where ONNX models run: auto (NPU, then GPU, then CPU), npu, gpu, cpu or a provider
    allow_hosts: tuple[str, ...] = ()  # private addresses fetching may reach anyway (tests: 127.0.0.1)
    arxiv_api: str = "https://export.arxiv.org/api/query"
    arxiv: str = "https://arxiv.org"
    taxonomies: dict[str, Any] = field(default_factory=dict)
    x: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, home: Path, data: dict[str, Any]) -> Settings:
        """The settings a parsed ``config.json`` holds; raises ``TypeError``/``ValueError``/``AttributeError`` on bad shapes."""
        engine = data.get("engine", {})
        embeddings = data.get("embeddings", {})
        network = data.get("network", {})
        return cls(
            home=home,
            n_ctx=int(engine.get("n_ctx", 4096)),
            n_threads=engine.get("n_threads"),
            n_gpu_layers=int(engine.get("n_gpu_layers", 0)),
            parallel=max(1, int(engine.get("parallel", 1))),
            models=dict(data.get("models", {})),
            embedder=str(embeddings.get("model", "minilm-int8")),
            embed_batch=int(embeddings.get("batch", 32)),
            embed_parallel=int(embeddings.get("parallel", 4)),
            device=str(embeddings.get("device", "auto")),
            allow_hosts=tuple(network.get("allow_hosts", ())),
            arxiv_api=str(network.get("arxiv_api", "https://export.arxiv.org/api/query")),
            arxiv=str(network.get("arxiv", "https://arxiv.org")),
            taxonomies=data.get("taxonomies", {}),
            x=data.get("x", {}),
        )

    def model_for(self, task: str) -> str | None:
        return self.models.get(task) or self.models.get("default")
