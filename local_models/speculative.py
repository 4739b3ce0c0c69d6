"""Drafters for speculative decoding: guesses the target model verifies in one batch.

A drafter proposes the next few tokens; the engine evaluates them all in one
forward pass and keeps the longest prefix the target model would itself have
produced, so the output is the target model's output, only faster when the
guesses are good. ``AdaptiveLength`` tunes how many tokens to draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .kv_cache import common_prefix
from .llama_api import Context, Model, require_llama

__all__ = ["AdaptiveLength", "DraftModel", "Drafter", "PromptLookup"]


class Drafter(Protocol):
    def propose(self, history: Sequence[int], k: int) -> list[int]:
        """Up to ``k`` tokens likely to follow ``history`` (prompt + output so far)."""


class PromptLookup:
    """Drafts by copying: find the most recent earlier occurrence of the last n tokens
    in the prompt and output, and propose what followed it.

    Copy-heavy tasks (quoting, extraction, summaries that reuse phrases) repeat
    long spans of the input, and a lookup costs nothing next to a forward pass.
    Longer n-grams are tried first: they are rarer and their guesses better.
    """

    def __init__(self, ngram_sizes: Sequence[int] = (4, 3, 2)) -> None:
        self.sizes = sorted(ngram_sizes, reverse=True)
        self._last_end: dict[tuple[int, ...], int] = {}  # n-gram -> end of its latest occurrence
        self._indexed = 0  # occurrences ending before this index are in _last_end

    def propose(self, history: Sequence[int], k: int) -> list[int]:
        end = len(history)
        if end < self._indexed:  # a new sequence: start over
            self._last_end.clear()
            self._indexed = 0
        # Index every n-gram ending before the current end (not the suffix itself).
        for stop in range(max(self._indexed, 1), end):
            for n in self.sizes:
                if stop >= n:
                    self._last_end[tuple(history[stop - n : stop])] = stop
        self._indexed = end
        drafts: list[int] = []
        # A continuation that reaches the end of the history is extended by looking up again
        # from its own tail, so a long copy can fill a whole verification batch.
        while len(drafts) < k:
            tail = list(history[max(0, end - self.sizes[0]) :]) + drafts
            found = self._lookup(tail)
            if found is None:
                break
            more = list(history[found : min(found + k - len(drafts), end)])
            if not more:
                break
            drafts += more
        return drafts

    def _lookup(self, tail: Sequence[int]) -> int | None:
        """Where the continuation of ``tail``'s longest indexed n-gram starts, if any."""
        for n in self.sizes:
            if len(tail) >= n:
                found = self._last_end.get(tuple(tail[-n:]))
                if found is not None:
                    return found
        return None


class DraftModel:
    """Drafts with a second, smaller GGUF that shares the target's vocabulary.

    It keeps its own KV cache of the accepted text and drafts greedily; after
    the target rejects a guess, the next call rolls the cache back to the
    common prefix instead of re-reading the text.
    """

    def __init__(self, model: Model, n_ctx: int, n_threads: int = 2) -> None:
        C = require_llama()
        self.model = model
        self.ctx = Context(model, n_ctx, n_threads=n_threads)
        chain = C.llama_sampler_chain_init(C.llama_sampler_chain_default_params())
        C.llama_sampler_chain_add(chain, C.llama_sampler_init_greedy())
        self._greedy = chain
        self._kv: list[int] = []  # tokens whose keys and values the draft context holds

    def propose(self, history: Sequence[int], k: int) -> list[int]:
        C = require_llama()
        common = common_prefix(self._kv, history)
        common = min(common, len(history) - 1)  # re-run the last token to get fresh logits
        self.ctx.seq_rm(0, common)
        self.ctx.decode(history[common:], common)
        self._kv = list(history)
        drafts: list[int] = []
        for _ in range(k):
            token = C.llama_sampler_sample(self._greedy, self.ctx.ptr, -1)
            if self.model.is_eog(token):
                break
            drafts.append(token)
            if len(drafts) == k:
                break
            self.ctx.decode([token], len(self._kv))
            self._kv.append(token)
        return drafts

    def close(self) -> None:
        require_llama().llama_sampler_free(self._greedy)
        self.ctx.close()


class AdaptiveLength:
    """How many tokens to draft next, chosen among sizes that verify cheaply.

    On a CPU every verified position costs a row of the output layer (262k
    wide for Gemma 3), and llama.cpp's matrix kernels work on 4 or 8 columns
    at a time: verifying 8 positions costs less than verifying 6 (measured in
    ``ft bench engine``). So a step verifies 4, 8, 12 or 16 positions (the
    pending token plus 3, 7, 11 or 15 drafts), moving up a level after full
    acceptance and down after a poor one.
    """

    LEVELS = (3, 7, 11, 15)

    def __init__(self, maximum: int) -> None:
        self.levels = [k for k in self.LEVELS if k <= max(maximum, self.LEVELS[0])]
        self.level = min(1, len(self.levels) - 1)

    @property
    def k(self) -> int:
        return self.levels[self.level]

    def update(self, drafted: int, accepted: int) -> None:
        if drafted == 0:
            return
        if accepted == drafted:
            self.level = min(self.level + 1, len(self.levels) - 1)
        elif accepted * 4 < drafted:
            self.level = max(self.level - 1, 0)
