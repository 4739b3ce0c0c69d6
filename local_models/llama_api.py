"""The llama.cpp C calls ft uses, through llama-cpp-python's low-level bindings.

The high-level ``llama_cpp.Llama`` copies the full-vocabulary logits into
numpy and builds a candidate array in Python for every token; with Gemma 3's
262k vocabulary that costs more than the model itself on a small CPU. These
wrappers keep sampling in C and read logits only where a caller asks.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ft.core.errors import BackendUnavailable, ModelError

try:
    import llama_cpp as _C
except ImportError:  # the engine is optional; ft doctor says how to get it
    _C = None

__all__ = ["Context", "Model", "require_llama"]

_init_lock = threading.Lock()
_initialised = False


def require_llama():
    """The ``llama_cpp`` module, initialised once with its logging silenced."""
    global _initialised
    if _C is None:
        raise BackendUnavailable("llama-cpp-python is not installed: pip install llama-cpp-python")
    with _init_lock:
        if not _initialised:
            _C.llama_backend_init()
            _C.llama_log_set(_quiet, None)
            _initialised = True
    return _C


if _C is not None:

    @ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
    def _quiet(level: int, text: bytes, data: ctypes.c_void_p) -> None:
        """llama.cpp logs every tensor it loads to stderr; ft reports its own errors."""


class Model:
    """A GGUF model's weights and vocabulary, loaded once and shared by contexts."""

    def __init__(self, path: str | Path, n_gpu_layers: int = 0) -> None:
        C = require_llama()
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(f"{self.path}: no such model file")
        params = C.llama_model_default_params()
        params.n_gpu_layers = n_gpu_layers
        self.ptr = C.llama_model_load_from_file(str(self.path).encode(), params)
        if not self.ptr:
            raise ModelError(f"{self.path}: llama.cpp could not load this file as a GGUF model")
        self.vocab = C.llama_model_get_vocab(self.ptr)
        self.n_vocab: int = C.llama_vocab_n_tokens(self.vocab)
        self.n_ctx_train: int = C.llama_model_n_ctx_train(self.ptr)
        self.add_bos: bool = bool(C.llama_vocab_get_add_bos(self.vocab))
        self._pieces: dict[int, bytes] = {}

    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
        """Token ids for ``text``; ``add_special`` adds BOS where the model wants it."""
        C = _C
        data = text.encode("utf-8")
        capacity = len(data) + 16
        buf = (C.llama_token * capacity)()
        n = C.llama_tokenize(self.vocab, data, len(data), buf, capacity, add_special, True)
        if n < 0:  # too small: llama.cpp returns the size it needs, negated
            buf = (C.llama_token * -n)()
            n = C.llama_tokenize(self.vocab, data, len(data), buf, -n, add_special, True)
        return list(buf[:n])

    def piece(self, token: int) -> bytes:
        """The bytes a token stands for (cached: decoding is on the hot path)."""
        cached = self._pieces.get(token)
        if cached is None:
            buf = ctypes.create_string_buffer(64)
            n = _C.llama_token_to_piece(self.vocab, token, buf, 64, 0, False)
            if n < 0:
                buf = ctypes.create_string_buffer(-n)
                n = _C.llama_token_to_piece(self.vocab, token, buf, -n, 0, False)
            cached = self._pieces[token] = buf.raw[:n]
        return cached

    def detokenize(self, tokens: Iterable[int]) -> str:
        return b"".join(self.piece(t) for t in tokens).decode("utf-8", errors="replace")

    def is_eog(self, token: int) -> bool:
        """End of generation: EOS, EOT and the like."""
        return bool(_C.llama_vocab_is_eog(self.vocab, token))

    def chat_template(self) -> str | None:
        """The Jinja chat template stored in the GGUF, if any."""
        raw = _C.llama_model_chat_template(self.ptr, None)
        return raw.decode("utf-8", errors="replace") if raw else None

    def meta(self, key: str) -> str | None:
        """A GGUF metadata value as text (``general.architecture``, ``general.name``, …)."""
        buf = ctypes.create_string_buffer(512)
        n = _C.llama_model_meta_val_str(self.ptr, key.encode(), buf, 512)
        return buf.value.decode("utf-8", errors="replace") if n >= 0 else None

    def close(self) -> None:
        if self.ptr:
            _C.llama_model_free(self.ptr)
            self.ptr = None


class Context:
    """One inference context: the KV cache for ``n_seq`` sequences and a reusable batch."""

    def __init__(
        self, model: Model, n_ctx: int, n_batch: int = 512, n_threads: int = 2, n_seq: int = 1
    ) -> None:
        C = require_llama()
        params = C.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        params.n_seq_max = n_seq
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        params.no_perf = True
        params.kv_unified = True  # sequences share cells, so copying a prefix costs nothing
        self.ptr = C.llama_init_from_model(model.ptr, params)
        if not self.ptr:
            raise ModelError(f"could not create a llama.cpp context of {n_ctx} tokens (out of memory?)")
        self.model = model
        self.n_ctx: int = C.llama_n_ctx(self.ptr)
        self.n_batch = n_batch
        self.n_seq = n_seq
        self.memory = C.llama_get_memory(self.ptr)
        self._batch = C.llama_batch_init(n_batch, 0, n_seq)

    # -- evaluation ----------------------------------------------------------

    def decode(self, tokens: Sequence[int], pos: int, seq: int = 0, logits: str | Sequence[int] = "last") -> None:
        """Evaluate ``tokens`` at positions ``pos…`` of sequence ``seq``.

        ``logits`` says which positions get logits: ``"last"``, ``"all"``, or a
        list of offsets into ``tokens``. Long inputs go in ``n_batch`` pieces;
        logits are read with ``logits_at`` using offsets within the last piece.
        """
        n = len(tokens)
        wanted = set(range(n)) if logits == "all" else {n - 1} if logits == "last" else set(logits)
        for start in range(0, n, self.n_batch):
            part = tokens[start : start + self.n_batch]
            self._submit([(t, pos + start + i, seq, (start + i) in wanted) for i, t in enumerate(part)])

    def decode_entries(self, entries: Sequence[tuple[int, int, int, bool]]) -> None:
        """Evaluate ``(token, pos, seq, wants_logits)`` entries, several sequences at once."""
        for start in range(0, len(entries), self.n_batch):
            self._submit(entries[start : start + self.n_batch])

    def _submit(self, entries: Sequence[tuple[int, int, int, bool]]) -> None:
        batch = self._batch
        batch.n_tokens = len(entries)
        for i, (token, pos, seq, want) in enumerate(entries):
            batch.token[i] = token
            batch.pos[i] = pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = want
        status = _C.llama_decode(self.ptr, batch)
        if status != 0:
            raise ModelError(f"llama_decode failed (status {status}): the context is full or out of memory")

    def logits_at(self, index: int) -> np.ndarray:
        """The logits for batch entry ``index`` of the last decode (a view; copy to keep)."""
        ptr = _C.llama_get_logits_ith(self.ptr, index)
        return np.ctypeslib.as_array(ptr, shape=(self.model.n_vocab,))  # (n_vocab,) float32

    # -- the KV cache ----------------------------------------------------------

    def seq_rm(self, seq: int, p0: int, p1: int = -1) -> None:
        """Forget positions ``p0…p1`` (to the end for -1) of a sequence."""
        _C.llama_memory_seq_rm(self.memory, seq, p0, p1)

    def seq_cp(self, src: int, dst: int, p0: int = 0, p1: int = -1) -> None:
        """Make ``dst`` share ``src``'s cells for positions ``p0…p1``."""
        _C.llama_memory_seq_cp(self.memory, src, dst, p0, p1)

    def clear(self) -> None:
        _C.llama_memory_clear(self.memory, True)

    def state_get(self, seq: int = 0) -> bytes:
        """The KV state of one sequence, to save and load later."""
        size = _C.llama_state_seq_get_size(self.ptr, seq)
        buf = (ctypes.c_uint8 * size)()
        written = _C.llama_state_seq_get_data(self.ptr, buf, size, seq)
        return bytes(buf[:written])

    def state_set(self, data: bytes, seq: int = 0) -> None:
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if _C.llama_state_seq_set_data(self.ptr, buf, len(data), seq) == 0:
            raise ModelError("a saved prefix state does not fit this model or context; it will be rebuilt")

    def close(self) -> None:
        if self.ptr:
            _C.llama_batch_free(self._batch)
            _C.llama_free(self.ptr)
            self.ptr = None
