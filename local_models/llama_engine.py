"""``LlamaEngine``: GGUF models in process, decoded by ft's own loop over the C API.

The loop (see ``generate``), per step:
  1. ask the drafter for up to k guesses (none without speculation);
  2. evaluate the pending token and the guesses in one batch, logits only there;
  3. sample the target's choice at each position with the C sampler chain,
     keeping guesses while they match (greedy output is unchanged by drafting);
  4. drop rejected guesses from the KV cache and emit the kept tokens.
Prompts reuse whatever prefix the KV cache already holds, and a prefix can be
saved and loaded across processes (``load_prefix``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ft.core.errors import ContextOverflow, ModelError

from .engine import Completion, Engine, GenerateOptions, OnText
from .kv_cache import StateCache, common_prefix, file_sha256, prefix_key
from .llama_api import Context, Model, require_llama
from .speculative import AdaptiveLength, DraftModel, Drafter, PromptLookup
from .stops import TextStream
from .templates import chat_prompt, has_chat_format

__all__ = ["LlamaEngine", "log_softmax"]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities from raw logits, computed stably in float64."""
    x = logits.astype(np.float64)
    top = x.max()
    return x - (top + np.log(np.exp(x - top).sum()))


class LlamaEngine(Engine):
    """A GGUF model with one context of ``n_ctx`` tokens and ``n_seq`` parallel sequences.

    :param draft_path: a second GGUF with the same vocabulary, for ``speculation="draft"``.
    :param cache_dir: where saved prefix states and the model-hash memo live.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        n_batch: int = 512,
        n_seq: int = 8,
        draft_path: str | Path | None = None,
        cache_dir: Path | None = None,
        model_id: str | None = None,
        family: str = "unknown",
        instruct: bool = True,
    ) -> None:
        threads = n_threads or os.cpu_count() or 1
        self.model = Model(model_path, n_gpu_layers=n_gpu_layers)
        self.ctx = Context(self.model, n_ctx, n_batch=n_batch, n_threads=threads, n_seq=n_seq)
        self.n_ctx = self.ctx.n_ctx
        self.model_id = model_id or Path(model_path).stem
        self.family = family
        self.instruct = instruct
        self.cache_dir = cache_dir
        self.states = StateCache(cache_dir / "kv" if cache_dir else None)
        self._kv: list[int] = []  # the tokens sequence 0 of the KV cache holds, in order
        self._model_hash: str | None = None
        self.evaluated = 0  # prompt tokens evaluated over the engine's life (prefix reuse shows here)
        self._draft: DraftModel | None = None
        if draft_path:
            draft = Model(draft_path, n_gpu_layers=n_gpu_layers)
            if draft.n_vocab != self.model.n_vocab or draft.tokenize("vocabulary check ✓") != self.model.tokenize("vocabulary check ✓"):
                draft.close()
                raise ModelError(f"{draft_path}: the draft model's vocabulary differs from {model_path}'s")
            self._draft = DraftModel(draft, n_ctx, threads)

    # -- the Engine interface --------------------------------------------------

    @property
    def capable(self) -> bool:
        """An instruction-tuned model with a chat template (its own or its family's)."""
        return has_chat_format(self.model, self.family, self.instruct)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenize(text, add_special=False))

    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
        return self.model.tokenize(text, add_special)

    def generate(self, prompt: str, options: GenerateOptions | None = None, on_text: OnText | None = None) -> Completion:
        opts = options or GenerateOptions()
        tokens = self.model.tokenize(prompt)
        self._check_fits(len(tokens) + 1, "prompt")
        started = time.perf_counter()
        evaluated = self._prefill(tokens)
        result = Completion(text="", prompt_tokens=len(tokens), prompt_evaluated=evaluated,
                            prefill_seconds=time.perf_counter() - started)
        sampler = self._sampler(opts)
        try:
            self._decode_loop(tokens, opts, sampler, result, on_text)
        finally:
            require_llama().llama_sampler_free(sampler)
        result.decode_seconds = time.perf_counter() - started - result.prefill_seconds
        return result

    def chat(self, messages: Sequence[dict[str, str]], options: GenerateOptions | None = None,
             on_text: OnText | None = None) -> Completion:
        opts = options or GenerateOptions()
        prompt, stops = chat_prompt(self.model, self.family, self.instruct, messages)
        return self.generate(prompt, replace(opts, stop=tuple(opts.stop) + stops), on_text)

    def score(self, prompt: str, candidates: Sequence[str]) -> list[float]:
        """Log-probability of each candidate after ``prompt``.

        When the candidates' first tokens differ, one forward pass decides: the
        first token's log-probability ranks them. Otherwise every candidate's
        tokens are evaluated in one batch, each in its own sequence sharing the
        prompt's cells, and rolled back afterwards.
        """
        tokens = self.model.tokenize(prompt)
        self._check_fits(len(tokens) + 1, "prompt")
        self._prefill(tokens)
        first = log_softmax(self.ctx.logits_at(-1))
        pieces = [self.model.tokenize(c, add_special=False) or [0] for c in candidates]
        if len({p[0] for p in pieces}) == len(pieces):
            return [float(first[p[0]]) for p in pieces]
        return self._score_full(len(tokens), first, pieces)

    def score_many(self, prefix: str, suffixes: Sequence[str], candidates: Sequence[str]) -> list[list[float]]:
        """``score(prefix + suffix, candidates)`` for many suffixes, sharing the prefix.

        The prefix is evaluated (or loaded) once; suffixes are evaluated
        together, each in its own sequence that shares the prefix's cells, with
        logits only at each suffix's last token.
        """
        pieces = [self.model.tokenize(c, add_special=False) or [0] for c in candidates]
        firsts = [p[0] for p in pieces]
        if len(set(firsts)) != len(firsts):  # multi-token decisions: one item at a time
            return [self.score(prefix + s, candidates) for s in suffixes]
        self.load_prefix(prefix)
        base = len(self._kv)
        encoded = [self.model.tokenize(s, add_special=False) or [0] for s in suffixes]
        for suffix in encoded:
            self._check_fits(base + len(suffix) + 1, "prefix and item")
        scores: list[list[float]] = []
        for group in self._groups(encoded, base):
            entries: list[tuple[int, int, int, bool]] = []
            last_index: list[int] = []
            for slot, suffix in enumerate(group, start=1):
                self.ctx.seq_cp(0, slot, 0, base)
                entries += [(t, base + j, slot, j == len(suffix) - 1) for j, t in enumerate(suffix)]
                last_index.append(len(entries) - 1)
            self.ctx.decode_entries(entries)
            for index in last_index:
                logp = log_softmax(self.ctx.logits_at(index))
                scores.append([float(logp[f]) for f in firsts])
            for slot in range(1, len(group) + 1):
                self.ctx.seq_rm(slot, 0, -1)
        return scores

    def divergence(self, prompt: str, a: Sequence[int], b: Sequence[int]) -> tuple[int, float] | None:
        """Where two greedy outputs of ``prompt`` first differ, and the top-2 logit gap there.

        Batched and one-token evaluation round differently; where the two best
        tokens are within rounding of each other, either is the greedy choice.
        ``None`` when the outputs agree.
        """
        index = common_prefix(a, b)
        if index == min(len(a), len(b)):
            return None
        tokens = self.model.tokenize(prompt) + list(a[:index])
        self._prefill(tokens)
        logits = self.ctx.logits_at(-1)
        return index, abs(float(logits[a[index]]) - float(logits[b[index]]))

    # -- prefix reuse ------------------------------------------------------------

    def load_prefix(self, prefix: str) -> int:
        """Make the KV cache start with ``prefix``; return how many tokens had to be evaluated.

        0 when the live cache already holds it or a saved state was loaded;
        otherwise the prefix is evaluated and its state saved for later runs.
        """
        tokens = self.model.tokenize(prefix)
        self._check_fits(len(tokens) + 1, "prefix")
        key = prefix_key(self.model_hash, tokens)
        if common_prefix(self._kv, tokens) == len(tokens):
            self._trim(len(tokens))
            if key not in self.states:
                self.states.put(key, self.ctx.state_get(0))
            return 0
        saved = self.states.get(key)
        if saved is not None:
            self.ctx.seq_rm(0, 0)
            try:
                self.ctx.state_set(saved, 0)
                self._kv = list(tokens)
                return 0
            except ModelError:
                self._kv = []
        evaluated = self._prefill(tokens)
        self.states.put(key, self.ctx.state_get(0))
        return evaluated

    @property
    def model_hash(self) -> str:
        if self._model_hash is None:
            memo = self.cache_dir / "model-hashes.json" if self.cache_dir else None
            self._model_hash = file_sha256(self.model.path, memo)
        return self._model_hash

    # -- internals ---------------------------------------------------------------

    def _check_fits(self, needed: int, what: str) -> None:
        if needed > self.n_ctx:
            raise ContextOverflow(
                f"the {what} is {needed - 1} tokens but {self.model_id}'s context holds {self.n_ctx}; "
                "shorten it or raise the context size (n_ctx)"
            )

    def _trim(self, keep: int) -> None:
        """Forget everything after the first ``keep`` tokens of sequence 0."""
        if keep < len(self._kv):
            self.ctx.seq_rm(0, keep)
            del self._kv[keep:]

    def _prefill(self, tokens: list[int]) -> int:
        """Evaluate ``tokens`` into sequence 0, reusing the cached common prefix.

        At least the last token is evaluated, so its logits are fresh.
        Returns the number of tokens evaluated.
        """
        keep = min(common_prefix(self._kv, tokens), len(tokens) - 1)
        self._trim(keep)
        self.ctx.decode(tokens[keep:], keep, logits="last")
        self._kv = list(tokens)
        self.evaluated += len(tokens) - keep
        return len(tokens) - keep

    def _sampler(self, opts: GenerateOptions):
        C = require_llama()
        chain = C.llama_sampler_chain_init(C.llama_sampler_chain_default_params())
        grammar = opts.gbnf()
        if grammar:
            rule = C.llama_sampler_init_grammar(self.model.vocab, grammar.encode(), b"root")
            if not rule:
                C.llama_sampler_free(chain)
                raise ModelError("the grammar does not parse as GBNF (it needs a 'root' rule)")
            C.llama_sampler_chain_add(chain, rule)
        if opts.temperature <= 0:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_greedy())
        else:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_k(opts.top_k))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_p(opts.top_p, 1))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_temp(opts.temperature))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_dist(opts.seed))
        return chain

    def _drafter(self, opts: GenerateOptions) -> Drafter | None:
        if opts.speculation == "prompt":
            return PromptLookup()
        if opts.speculation == "draft":
            if self._draft is None:
                raise ModelError("speculation='draft' needs a draft model (draft_path)")
            return self._draft
        return None

    def _decode_loop(self, prompt: list[int], opts: GenerateOptions, sampler, result: Completion, on_text: OnText | None) -> None:
        sample = require_llama().llama_sampler_sample
        ctx = self.ctx.ptr
        if opts.temperature <= 0 and not (opts.grammar or opts.json_schema):
            # Plain greedy: an argmax over the logits is the sampler's answer, 10x cheaper than
            # the chain's 262k-entry candidate array (and it runs once per verified position).
            def choose(index: int) -> int:
                return int(np.argmax(self.ctx.logits_at(index)))
        else:
            def choose(index: int) -> int:
                return sample(sampler, ctx, index)
        drafter = self._drafter(opts)
        length = AdaptiveLength(opts.draft_max)
        stream = TextStream(opts.stop)
        history = list(prompt)

        def emit(token: int) -> bool:
            """Add a token to the output; True when generation must end."""
            if self.model.is_eog(token):
                result.stop_reason = "eog"
                return True
            result.tokens.append(token)
            history.append(token)
            text, stopped = stream.push(self.model.piece(token))
            if text and on_text:
                on_text(text)
            if stopped:
                result.stop_reason = "stop"
                return True
            return len(result.tokens) >= opts.max_tokens

        pending = choose(-1)  # the first token, from the prompt's last logits
        while not emit(pending):
            pos = len(self._kv)
            if pos + 1 >= self.n_ctx:
                result.stop_reason = "context"
                break
            # 1. draft
            room = min(length.k, self.n_ctx - pos - 2)
            drafts = drafter.propose(history, room) if drafter and room > 0 else []
            if drafts:  # pad to a level: any guess is safe to verify, and full tiles are cheaper
                size = next((k for k in length.LEVELS if k >= len(drafts)), len(drafts))
                drafts += [drafts[-1]] * (min(size, room) - len(drafts))
            # 2. one forward pass over the pending token and the drafts
            self.ctx.decode([pending, *drafts], pos, logits="all" if drafts else "last")
            self._kv += [pending, *drafts]
            result.decode_steps += 1
            # 3. verify: keep drafts while the target picks them
            accepted = 0
            chosen = choose(0)
            while accepted < len(drafts) and chosen == drafts[accepted]:
                accepted += 1
                chosen = choose(accepted)
            # 4. roll back rejected drafts, emit the kept ones
            self._trim(pos + 1 + accepted)
            result.drafted += len(drafts)
            result.accepted += accepted
            length.update(len(drafts), accepted)
            if any(emit(token) for token in drafts[:accepted]):
                break
            pending = chosen
        rest = stream.finish()
        if rest and on_text:
            on_text(rest)
        result.text = stream.text

    def _groups(self, encoded: list[list[int]], base: int):
        """Suffixes in groups that fit one batch, the free sequences and the context."""
        group: list[list[int]] = []
        size = 0
        for suffix in encoded:
            too_big = size + len(suffix) > self.ctx.n_batch or base + size + len(suffix) > self.n_ctx
            if group and (len(group) == self.ctx.n_seq - 1 or too_big):
                yield group
                group, size = [], 0
            group.append(suffix)
            size += len(suffix)
        if group:
            yield group

    def _score_full(self, base: int, first: np.ndarray, pieces: list[list[int]]) -> list[float]:
        scores = []
        for piece in pieces:  # one candidate at a time in sequence 1, sharing the prompt
            total = float(first[piece[0]])
            if len(piece) > 1:
                self.ctx.seq_cp(0, 1, 0, base)
                self.ctx.decode(piece[:-1], base, seq=1, logits="all")
                for j, token in enumerate(piece[1:]):
                    total += float(log_softmax(self.ctx.logits_at(j))[token])
                self.ctx.seq_rm(1, 0, -1)
            scores.append(total)
        return scores

    def close(self) -> None:
        if self._draft is not None:
            self._draft.close()
            self._draft.model.close()
        self.ctx.close()
        self.model.close()
