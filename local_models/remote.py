"""``RemoteEngine``: the engine interface over an OpenAI-compatible HTTP server.

For users who outgrow one machine: llama.cpp's ``llama-server``, vLLM, or
``python -m llama_cpp.server``. Generation streams server-sent events; grammars
go as the ``grammar`` field those servers accept; candidate scoring asks for
the prompt's log-probabilities (``echo`` + ``logprobs``), which llama_cpp.server
returns with ``--logits_all true`` (its default) and vLLM with echo.
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
        """Sum of the server's log-probabilities for each candidate's tokens after ``prompt``."""
        scores = []
        for candidate in candidates:
            body = self._post("/v1/completions", {
                "model": self.model_id, "prompt": prompt + candidate, "max_tokens": 1,
                "temperature": 0, "echo": True, "logprobs": 1,
            })
            logprobs = body["choices"][0].get("logprobs") or {}
            offsets, values = logprobs.get("text_offset") or [], logprobs.get("token_logprobs") or []
            if not offsets:
                raise ModelError(f"{self.root} returned no prompt log-probabilities; start it with logits_all")
            # The echoed tokens that start inside the candidate; a generated one starts after it
            # (some servers echo it, llama_cpp.server 0.3.36 does not).
            start, end = len(prompt), len(prompt) + len(candidate)
            scores.append(sum(v for o, v in zip(offsets, values) if start <= o < end and v is not None))
        return scores

    def count_tokens(self, text: str) -> int:
        for path, field in (("/extras/tokenize", "input"), ("/tokenize", "content")):
            try:
                response = self.client.post(path, json={field: text})
            except httpx.HTTPError:
                break
            if response.status_code == 200:
                return len(response.json().get("tokens", []))
        return max(1, len(text) // 4)  # servers without a tokenize endpoint: a rough estimate

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
