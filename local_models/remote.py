"""``RemoteEngine``: the engine interface over an OpenAI-compatible HTTP server.

For users who outgrow one machine: llama.cpp's ``llama-server``, vLLM, or
``python -m llama_cpp.server``. Generation streams server-sent events; grammars
go as the ``grammar`` field those servers accept; candidate scoring makes the
server generate each candidate and report its tokens' log-probabilities, which
llama_cpp.server returns with ``--logits_all true`` (its default).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from ft.core.errors import BackendUnavailable, ContextOverflow, ModelError

from .engine import Completion, Engine, GenerateOptions, OnText, R, T

__all__ = ["RemoteEngine", "server_root"]


def server_root(base_url: str) -> str:
    """``http://host:port`` from ``http://host:port``, ``…/`` or ``…/v1``: the paths asked are ``/v1/…``."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


class RemoteEngine(Engine):
    """A model served at ``base_url`` (``http://host:port`` or ``…/v1``)."""

    def __init__(self, base_url: str, model: str | None = None, api_key: str | None = None,
                 n_ctx: int = 4096, timeout: float = 300.0, parallel: int = 1) -> None:
        self.root = server_root(base_url)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.parallel = max(1, parallel)
        limits = httpx.Limits(max_connections=self.parallel + 1, max_keepalive_connections=self.parallel + 1)
        self.client = httpx.Client(base_url=self.root, headers=headers, timeout=timeout, limits=limits)
        self.n_ctx = n_ctx
        self.model_id = model or self._first_model()

    @property
    def capable(self) -> bool:
        """A server is assumed to serve a model worth letting write (the user chose to run it)."""
        return True

    def each(self, call: Callable[[T], R], inputs: Iterable[T]) -> list[R]:
        """Up to ``parallel`` requests in flight; results in input order (``Executor.map`` keeps it)."""
        inputs = list(inputs)
        if self.parallel == 1 or len(inputs) < 2:
            return [call(x) for x in inputs]
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(inputs)), thread_name_prefix="ft-remote") as pool:
            return list(pool.map(call, inputs))

    # -- the Engine interface --------------------------------------------------

    def generate(self, prompt: str, options: GenerateOptions | None = None, on_text: OnText | None = None) -> Completion:
        return self._complete("/v1/completions", {"prompt": prompt}, options, on_text, lambda c: c.get("text", ""))

    def chat(self, messages: Sequence[dict[str, str]], options: GenerateOptions | None = None,
             on_text: OnText | None = None) -> Completion:
        return self._complete("/v1/chat/completions", {"messages": list(messages)}, options, on_text,
                              lambda c: (c.get("delta") or {}).get("content") or "")

    def score(self, prompt: str, candidates: Sequence[str]) -> list[float]:
        """Log-probability of each candidate after ``prompt``, as the in-process engine scores it:
        the first token's when the candidates' first tokens differ, else all their tokens.

        Each candidate is generated under force (a grammar of its text, and a logit bias on its own
        tokens so the server takes them and not another spelling), and the server reports each
        generated token's log-probability, which it takes from the raw logits. Echoing the prompt
        back instead costs llama_cpp.server a sort of the whole vocabulary per prompt token
        (measured: 70 s for a 400-token prompt), and for a model without a BOS token (SmolLM2) it
        gives each echoed token the next one's value; echo is kept for servers that cannot tokenize."""
        base = self._tokenize(prompt)
        if base is None:
            return self.each(lambda candidate: self._echo_score(prompt, candidate), candidates)
        pieces = self.each(lambda candidate: _after(base, self._tokenize(prompt + candidate) or []), candidates)
        first_only = len({p[0] for p in pieces if p}) == len(pieces)
        return self.each(lambda pair: self._forced_score(prompt, pair[0], pair[1][:1] if first_only else pair[1]),
                         list(zip(candidates, pieces)))

    def score_many(self, prefix: str, suffixes: Sequence[str], candidates: Sequence[str]) -> list[list[float]]:
        """One prompt at a time, its candidates ``parallel`` at once: requests in flight together then
        share their whole prompt, which a server keeps cached between them (llama_cpp.server holds one
        prompt; measured: items in flight together made 8 items' scoring 2.7x slower, not faster)."""
        return [self.score(prefix + suffix, candidates) for suffix in suffixes]

    def count_tokens(self, text: str) -> int:
        tokens = self._tokenize(text)
        return len(tokens) if tokens is not None else max(1, len(text) // 4)  # a rough estimate

    def close(self) -> None:
        self.client.close()

    # -- internals -----------------------------------------------------------

    def _complete(self, path: str, payload: dict[str, Any], options: GenerateOptions | None,
                  on_text: OnText | None, pick) -> Completion:
        """Stream, except for calls sent ``parallel`` and unwatched (no ``on_text``): a server may cut a
        stream short when another request waits (llama_cpp.server's ``interrupt_requests``, on by
        default), which would make them differ from sequential ones. A lone call streams, so a slow
        server never trips the read timeout and a client that gives up stops the server's work."""
        body = {"model": self.model_id, **payload, **self._sampling(options or GenerateOptions())}
        started = time.perf_counter()
        if on_text is None and self.parallel > 1:
            reply = self._post(path, {**body, "stream": False})
            choice, usage = reply["choices"][0], reply.get("usage") or {}
            text = pick({"text": choice.get("text"), "delta": choice.get("message")})
            ended = time.perf_counter()
            count = usage.get("completion_tokens")
            return Completion(
                text=text, tokens=[0] * (count if count is not None else self.count_tokens(text) if text else 0),
                prompt_tokens=int(usage.get("prompt_tokens") or 0), prefill_seconds=0.0,
                decode_seconds=ended - started, stop_reason=_stop(choice.get("finish_reason")),
            )
        pieces: list[str] = []
        finish = None
        first_at = None
        received = False
        for event in self._stream(path, {**body, "stream": True}):
            received = True
            choice = (event.get("choices") or [{}])[0]
            text = pick(choice)
            if text:
                first_at = first_at or time.perf_counter()
                pieces.append(text)
                if on_text:
                    on_text(text)
            finish = choice.get("finish_reason") or finish
        if not received:  # some servers end a failed stream silently; ask again to get the error
            choice = self._post(path, {**body, "stream": False}, fresh=True)["choices"][0]
            pieces.append(pick({"text": choice.get("text"), "delta": choice.get("message")}))
            finish = choice.get("finish_reason") or finish
        ended = time.perf_counter()
        text = "".join(pieces)
        first_at = first_at or ended
        return Completion(
            text=text, tokens=[0] * self.count_tokens(text) if text else [],
            prefill_seconds=first_at - started, decode_seconds=ended - first_at, stop_reason=_stop(finish),
        )

    def _tokenize(self, text: str) -> list[int] | None:
        """The server's token ids for ``text`` (llama_cpp.server or llama-server), ``None`` when it has no
        tokenize endpoint."""
        for path, field in (("/extras/tokenize", "input"), ("/tokenize", "content")):
            try:
                response = self.client.post(path, json={field: text})
            except httpx.HTTPError:
                return None
            if response.status_code == 200:
                return list(response.json().get("tokens", []))
        return None

    def _forced_score(self, prompt: str, candidate: str, tokens: list[int]) -> float:
        """The summed log-probabilities of ``tokens`` (the start or the whole of ``candidate``'s) when the
        server is made to generate them after ``prompt``; echo when the server would not follow."""
        if not tokens:
            return self._echo_score(prompt, candidate)
        body = {"model": self.model_id, "prompt": prompt, "max_tokens": len(tokens), "temperature": 0,
                "logprobs": 1, "logit_bias": {str(t): 100 for t in tokens}, "repeat_penalty": 1.0, "min_p": 0.0}
        if len(tokens) > 1:
            body["grammar"] = "root ::= " + json.dumps(candidate)
        logprobs = self._post("/v1/completions", body)["choices"][0].get("logprobs") or {}
        values = logprobs.get("token_logprobs") or []
        if len(values) != len(tokens) or any(v is None for v in values):
            return self._echo_score(prompt, candidate)
        return float(sum(values))

    def _echo_score(self, prompt: str, candidate: str) -> float:
        """The candidate's echoed log-probabilities, for servers that cannot tokenize (vLLM echoes)."""
        body = self._post("/v1/completions", {
            "model": self.model_id, "prompt": prompt + candidate, "max_tokens": 1,
            "temperature": 0, "echo": True, "logprobs": 1,
        })
        logprobs = body["choices"][0].get("logprobs") or {}
        offsets, values = logprobs.get("text_offset") or [], logprobs.get("token_logprobs") or []
        if not offsets:
            raise ModelError(f"{self.root} returned no prompt log-probabilities; start it with logits_all")
        # The echoed tokens that start inside the candidate; a generated one starts after it.
        start, end = len(prompt), len(prompt) + len(candidate)
        return sum(v for o, v in zip(offsets, values) if start <= o < end and v is not None)

    @staticmethod
    def _sampling(opts: GenerateOptions) -> dict[str, Any]:
        """The request's sampling fields. The in-process sampler has no repetition penalty and no
        min-p, so they are turned off here too (llama_cpp.server and llama-server default to 1.1
        and 0.05): the same options then give the same text on either backend."""
        body: dict[str, Any] = {"max_tokens": opts.max_tokens, "temperature": opts.temperature,
                                "top_p": opts.top_p, "top_k": opts.top_k, "seed": opts.seed,
                                "repeat_penalty": 1.0, "min_p": 0.0}
        if opts.stop:
            body["stop"] = list(opts.stop)
        grammar = opts.gbnf()
        if grammar:
            body["grammar"] = grammar
        return body

    def _stream(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        try:
            with self.client.stream("POST", path, json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ModelError(f"{self.root}{path}: HTTP {response.status_code}: {_detail(response)}")
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        data = line[5:].strip()
                        if data == "[DONE]":
                            return
                        yield json.loads(data)
        except httpx.ConnectError as exc:
            raise BackendUnavailable(f"cannot reach the model server at {self.root}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise ModelError(f"{self.root}{path}: {exc}") from exc

    def _post(self, path: str, body: dict[str, Any], fresh: bool = False) -> dict[str, Any]:
        """POST and return the JSON body; ``fresh`` avoids a pooled connection the server may have dropped."""
        try:
            if fresh:
                with httpx.Client(base_url=self.root, headers=self.client.headers, timeout=self.client.timeout) as client:
                    response = client.post(path, json=body)
            else:
                response = self.client.post(path, json=body)
        except httpx.ConnectError as exc:
            raise BackendUnavailable(f"cannot reach the model server at {self.root}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise ModelError(f"{self.root}{path}: {exc}") from exc
        if response.status_code >= 400:
            error = ContextOverflow if _code(response) == "context_length_exceeded" else ModelError
            raise error(f"{self.root}{path}: HTTP {response.status_code}: {_detail(response)}")
        return response.json()

    def _first_model(self) -> str:
        try:
            response = self.client.get("/v1/models")
            response.raise_for_status()
            models = response.json().get("data") or []
        except httpx.ConnectError as exc:
            raise BackendUnavailable(f"cannot reach the model server at {self.root}: {exc}") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise ModelError(f"{self.root}/v1/models: {exc}") from exc
        if not models:
            raise ModelError(f"{self.root} serves no models")
        return models[0]["id"]


def _after(prefix: list[int], tokens: list[int]) -> list[int]:
    """The tokens of ``tokens`` past its common start with ``prefix``: a candidate's own tokens."""
    shared = 0
    while shared < min(len(prefix), len(tokens)) and prefix[shared] == tokens[shared]:
        shared += 1
    return tokens[shared:]


def _stop(finish: str | None) -> str:
    """The engine's stop reason for an OpenAI ``finish_reason`` (none: the stream was cut, as by length)."""
    return "stop" if finish == "stop" else finish or "length"


def _code(response: httpx.Response) -> str | None:
    """The OpenAI-style error code, e.g. ``context_length_exceeded``."""
    try:
        error = response.json().get("error")
    except ValueError:
        return None
    return error.get("code") if isinstance(error, dict) else None


def _detail(response: httpx.Response) -> str:
    """The server's error message, in one line."""
    try:
        body = response.json()
        error = body.get("error") or body.get("detail") or body
        message = error.get("message") if isinstance(error, dict) else error
        return " ".join(str(message).split())[:500]
    except ValueError:
        return " ".join(response.text.split())[:500]
