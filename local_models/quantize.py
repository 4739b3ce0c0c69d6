"""Making a smaller copy of a GGUF with llama.cpp's quantize API.

The main use is a draft model for speculative decoding: the same model more
aggressively quantized shares the vocabulary exactly and agrees with the
original on most tokens, while reading fewer bytes per token.
"""

from __future__ import annotations

import os
from pathlib import Path

from ft.core.errors import ModelError

from .llama_api import require_llama

__all__ = ["TYPES", "quantize"]

# Names users type, and llama.cpp's file types for them.
TYPES = {"q2_k": 10, "q3_k_m": 12, "q4_0": 2, "q4_k_m": 15, "q5_k_m": 17, "q6_k": 18, "q8_0": 7}


def quantize(source: Path, target: Path, kind: str = "q4_0", threads: int | None = None) -> Path:
    """Write ``source`` requantized as ``kind`` to ``target`` (atomically) and return it."""
    C = require_llama()
    if kind not in TYPES:
        raise ModelError(f"unknown quantization {kind!r}; choose from {', '.join(TYPES)}")
    params = C.llama_model_quantize_default_params()
    params.ftype = TYPES[kind]
    params.allow_requantize = True  # the shipped models are already quantized
    params.nthread = threads or os.cpu_count() or 1
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    status = C.llama_model_quantize(str(source).encode(), str(partial).encode(), params)
    if status != 0:
        partial.unlink(missing_ok=True)
        raise ModelError(f"quantizing {source} to {kind} failed (status {status})")
    os.replace(partial, target)
    return target
