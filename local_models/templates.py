"""Turning chat messages into a prompt the model was trained on.

The GGUF's own chat template is used when llama.cpp recognises it (ChatML,
Gemma, Llama 3, …). Instruction-tuned families without one get their known
template. Base models, like the shipped Gemma 3 270M, have no chat format:
they get a plain transcript to continue, and stop at the next turn.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

from .llama_api import Model, require_llama

__all__ = ["Message", "chat_prompt", "has_chat_format", "transcript_prompt"]

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": "..."}

_BUILTIN = {"gemma3": "gemma", "gemma": "gemma", "smollm2": "chatml", "qwen": "chatml"}
TRANSCRIPT_STOPS = ("\nUser:", "\n\nUser:")


def has_chat_format(model: Model, family: str, instruct: bool) -> bool:
    """Whether ``chat_prompt`` renders real chat turns for this model, not a plain transcript."""
    return instruct and bool(model.chat_template() or _BUILTIN.get(family))


def chat_prompt(model: Model, family: str, instruct: bool, messages: Sequence[Message]) -> tuple[str, tuple[str, ...]]:
    """The prompt for ``messages`` and the stop strings that end the answer."""
    if instruct:
        for template in (model.chat_template(), _BUILTIN.get(family)):
            if template:
                rendered = _apply(template, messages)
                if rendered is not None:
                    return rendered, ()
    return transcript_prompt(messages), TRANSCRIPT_STOPS


def transcript_prompt(messages: Sequence[Message]) -> str:
    """A plain-text dialogue for base models: system text first, then User/Assistant turns."""
    lines = [m["content"].strip() + "\n" for m in messages if m["role"] == "system"]
    for m in messages:
        if m["role"] != "system":
            lines.append(f"{'User' if m['role'] == 'user' else 'Assistant'}: {m['content'].strip()}")
    return "\n".join(lines) + "\nAssistant:"


def _apply(template: str, messages: Sequence[Message]) -> str | None:
    """llama.cpp's rendering of a known template; ``None`` if it does not recognise it."""
    C = require_llama()
    keep = [(m["role"].encode(), m["content"].encode()) for m in messages]  # alive while C reads them
    chat = (C.llama_chat_message * len(keep))(*[C.llama_chat_message(r, c) for r, c in keep])
    size = sum(len(r) + len(c) for r, c in keep) * 2 + 256
    buf = ctypes.create_string_buffer(size)
    n = C.llama_chat_apply_template(template.encode(), chat, len(keep), True, buf, size)
    if n < 0:
        return None
    if n > size:
        buf = ctypes.create_string_buffer(n)
        n = C.llama_chat_apply_template(template.encode(), chat, len(keep), True, buf, n)
    return buf.raw[:n].decode("utf-8", errors="replace")
