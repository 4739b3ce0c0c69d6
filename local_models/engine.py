"""The engine interface every model backend implements, and what it returns.

An engine turns a prompt into text (``generate``), streams tokens to a
callback, and scores candidate continuations by log-probability (``score``),
which is how classification avoids free-form output. Backends: llama.cpp in
process (``LlamaEngine``), an OpenAI-compatible server (``RemoteEngine``).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeVar

__all__ = ["Completion", "Engine", "GenerateOptions", "OnText"]

OnText = Callable[[str], None]
T = TypeVar("T")
R = TypeVar("R")
Speculation = Literal["none", "prompt", "draft"]


@dataclass(frozen=True)
class GenerateOptions:
    """How to generate. Unknown fields are a TypeError, like pydantic's ``extra="forbid"``.

    ``temperature`` 0 is greedy decoding; otherwise ``top_k``/``top_p`` then a
    seeded draw. ``grammar`` is GBNF; ``json_schema`` is turned into GBNF.
    ``speculation`` picks the drafter: ``prompt`` (n-gram lookup in the prompt
    and output), ``draft`` (the engine's draft model) or ``none``.
    """

    max_tokens: int = 256
    temperature: float = 0.0
    top_k: int = 40
    top_p: float = 0.95
    seed: int = 0
    stop: tuple[str, ...] = ()
    grammar: str | None = None
    json_schema: dict[str, Any] | None = None
    speculation: Speculation = "none"
    draft_max: int = 8  # most tokens drafted per step; the engine adapts below it

    def gbnf(self) -> str | None:
        """The GBNF grammar the output must follow: ``grammar``, or ``json_schema`` converted."""
        if self.json_schema is None:
            return self.grammar or None
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        return json_schema_to_gbnf(json.dumps(self.json_schema))


@dataclass
class Completion:
    """The generated text and what it cost."""

    text: str
    tokens: list[int] = field(default_factory=list)
    prompt_tokens: int = 0
    prompt_evaluated: int = 0  # prompt tokens actually run; fewer when a cached prefix was reused
    prefill_seconds: float = 0.0
    decode_seconds: float = 0.0
    stop_reason: str = "length"  # length | eog | stop
    drafted: int = 0
    accepted: int = 0
    decode_steps: int = 0  # target-model forward passes while decoding

    @property
    def tokens_per_second(self) -> float:
        return len(self.tokens) / self.decode_seconds if self.decode_seconds else 0.0

    @property
    def acceptance(self) -> float:
        return self.accepted / self.drafted if self.drafted else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tokens_per_second": self.tokens_per_second, "acceptance": self.acceptance}


class Engine(ABC):
    """A text model ft can run. ``model_id`` names it in caches and labels."""

    model_id: str
    n_ctx: int
    supports_grammar: bool = True
    parallel: int = 1  # requests a server may be sent at once (``"engine": {"parallel": N}``)

    @property
    def capable(self) -> bool:
        """Whether the model can be trusted to *write* (the abstractive reading path): an
        instruction-tuned model with a chat format, or a server. Base models only extract."""
        return False

    def each(self, call: Callable[[T], R], inputs: Iterable[T]) -> list[R]:
        """``[call(x) for x in inputs]``, in order. Backends that can serve several requests at
        once (a server with ``parallel`` > 1) run up to ``parallel`` at a time; the results are
        the same, because each call is independent and greedy."""
        return [call(x) for x in inputs]

    def score_many(self, prefix: str, suffixes: Sequence[str], candidates: Sequence[str]) -> list[list[float]]:
        """``score(prefix + suffix, candidates)`` for each suffix; backends share the prefix's work."""
        return self.each(lambda suffix: self.score(prefix + suffix, candidates), suffixes)

    @abstractmethod
    def generate(self, prompt: str, options: GenerateOptions | None = None, on_text: OnText | None = None) -> Completion:
        """Continue ``prompt``; ``on_text`` receives text as it is produced."""

    @abstractmethod
    def score(self, prompt: str, candidates: Sequence[str]) -> list[float]:
        """Log-probability of each candidate as the continuation of ``prompt`` (higher is likelier)."""

    @abstractmethod
    def chat(self, messages: Sequence[dict[str, str]], options: GenerateOptions | None = None,
             on_text: OnText | None = None) -> Completion:
        """Answer the last of ``messages`` (role/content dicts) in the model's chat format."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """How many tokens ``text`` takes, for budgeting context."""

    def close(self) -> None:
        """Free the model; the engine cannot be used afterwards."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
