"""``RemoteEmbedder``: sentence vectors from an OpenAI-compatible ``/v1/embeddings`` server.

For a library that outgrows one machine: ``llama-server --embeddings``,
``python -m llama_cpp.server --embedding true``, vLLM, text-embeddings-inference
or Infinity embed on a bigger machine while ft keeps the chunks, the vectors and
the search.

- Same chunks: tokens are counted by the shipped MiniLM's tokenizer, so a
  library's chunks are the same whichever model embeds them.
- Batched and bounded: ``batch`` texts a request and at most ``parallel``
  requests in flight; a server that embeds one request at a time queues them,
  one that batches (vLLM, TEI) uses them together.
- Retried: refused or dropped connections, timeouts, 429 and 5xx are tried again
  after an exponentially growing pause (a ``Retry-After`` wins); what still fails
  is one line naming the URL.
- Kept apart: ``model_id`` is the URL's host and the model the server reports,
  so these vectors sit beside the local model's and are never mixed with them.
- Pooled here when the server does not pool: a decoder GGUF without a pooling
  type comes back from llama_cpp.server as one vector per token; they are
  averaged, as MiniLM's are, one text a request (see ``__init__``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from ft.core.errors import BackendUnavailable, ModelError
from npu.embedder import TokenCounter, normalise

from .remote import _detail, server_root

__all__ = ["RemoteEmbedder", "remote_model_id"]

RETRIED = frozenset({408, 429, 500, 502, 503, 504})  # statuses a later try may not get
LONGEST_WAIT = 60.0  # seconds: a Retry-After beyond this is not waited for in full


def remote_model_id(root: str, model: str | None) -> str:
    """``host/model`` (a GGUF path shortened to its file name), or the URL when the server names no model."""
    if not model:
        return root
    name = Path(model).name if model.endswith(".gguf") else model
    return f"{httpx.URL(root).host}/{name}"


class RemoteEmbedder:
    """The embedder interface (``index.embed.Embedder``) over a server at ``url`` (``http://host:port`` or ``…/v1``).

    Connecting asks ``/v1/models`` for the model to name in requests (servers
    without that list are asked with no name) and embeds one probe text for the
    vectors' width and the model the server reports.
    """

    def __init__(self, url: str, batch: int = 32, parallel: int = 4, attempts: int = 4, backoff: float = 0.5,
                 timeout: float = 120.0) -> None:
        self.root = server_root(url)
        self.batch, self.parallel, self.attempts, self.backoff = max(1, batch), max(1, parallel), max(1, attempts), backoff
        self.client = httpx.Client(base_url=self.root, timeout=timeout,
                                   limits=httpx.Limits(max_connections=self.parallel))
        self.counter = TokenCounter()
        self.served = self._listed_model()
        probe, reported, per_token = self._request(["ft"])
        if per_token:
            # llama-cpp-python (0.3) misplaces the per-token vectors of every text after the
            # first in a request; such a server is asked one text at a time.
            self.batch = 1
        self.dim = probe.shape[1]
        self.model_id = remote_model_id(self.root, reported or self.served)

    @property
    def window(self) -> int:
        """Texts in one round of requests in flight: what ``ft embed`` stores at a time, so a run
        broken off loses at most one round (one text a request when the server is asked one at a time)."""
        return self.batch * self.parallel

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.counter(texts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit rows in the order of ``texts``; ``parallel`` requests of ``batch`` texts at a time."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [list(texts[start : start + self.batch]) for start in range(0, len(texts), self.batch)]
        if len(batches) == 1:
            return self._vectors(batches[0])
        pool = ThreadPoolExecutor(min(self.parallel, len(batches)), thread_name_prefix="ft-embed")
        try:
            return np.vstack(list(pool.map(self._vectors, batches)))
        finally:
            pool.shutdown(cancel_futures=True)  # after a failure, batches not yet sent never are

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> RemoteEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------

    def _vectors(self, texts: list[str]) -> np.ndarray:
        vectors, _, _ = self._request(texts)
        if vectors.shape[1] != self.dim:
            raise ModelError(f"{self.root}/v1/embeddings: {vectors.shape[1]}-wide vectors where the first were "
                             f"{self.dim}-wide; did the server switch models?")
        return vectors

    def _request(self, texts: list[str]) -> tuple[np.ndarray, str | None, bool]:
        """One request's unit vectors (rows in the order of ``texts``), the model the server
        reports, and whether it sent vectors per token for ft to pool."""
        body: dict[str, Any] = {"input": texts, **({"model": self.served} if self.served else {})}
        response = self._send("POST", "/v1/embeddings", body)
        if response.status_code >= 400:
            raise ModelError(f"{self.root}/v1/embeddings: HTTP {response.status_code}: {_detail(response)}")
        try:
            payload = response.json()
            rows = sorted(payload["data"], key=lambda row: row["index"])
            raw = [np.asarray(row["embedding"], dtype=np.float32) for row in rows]
            vectors = np.stack([_pooled(array) for array in raw]) if rows else None
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{self.root}/v1/embeddings: not an embeddings response ({exc!r})") from exc
        if vectors is None or len(vectors) != len(texts):
            raise ModelError(f"{self.root}/v1/embeddings: {len(rows)} vectors for {len(texts)} texts")
        model = payload.get("model")
        return normalise(vectors), model if isinstance(model, str) else None, any(a.ndim == 2 for a in raw)

    def _listed_model(self) -> str | None:
        """The first model ``/v1/models`` lists; ``None`` when the server has no such list."""
        response = self._send("GET", "/v1/models")
        if response.status_code != 200:
            return None
        try:
            models = response.json().get("data") or []
            return str(models[0]["id"]) if models else None
        except (ValueError, AttributeError, KeyError, TypeError, IndexError):
            return None

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """The server's response, once it is not a failure that may pass; such failures are
        retried ``attempts`` times in all, waiting ``backoff`` seconds, then twice that, and so on."""
        for attempt in range(self.attempts):
            wait = self.backoff * 2**attempt
            try:
                response = self.client.request(method, path, json=body)
            except httpx.TransportError as exc:  # refused, reset, timed out
                failure: httpx.TransportError | httpx.Response = exc
            else:
                if response.status_code not in RETRIED:
                    return response
                failure = response
                wait = _retry_after(response, wait)
            if attempt + 1 < self.attempts:
                time.sleep(wait)
        tries = f"{self.attempts} tries" if self.attempts > 1 else "1 try"
        if isinstance(failure, httpx.Response):
            raise ModelError(f"the embedding server at {self.root} failed {tries}: {method} {path}: "
                             f"HTTP {failure.status_code}: {_detail(failure)}")
        error = BackendUnavailable if isinstance(failure, httpx.ConnectError) else ModelError
        raise error(f"cannot reach the embedding server at {self.root} ({tries}): {method} {path}: "
                    f"{' '.join(str(failure).split()) or type(failure).__name__}")


def _pooled(array: np.ndarray) -> np.ndarray:
    """A vector, or the mean of a server's per-token vectors."""
    if array.ndim == 2 and len(array):
        return array.mean(axis=0)
    if array.ndim != 1 or not len(array):
        raise ValueError(f"an embedding of shape {array.shape}")
    return array


def _retry_after(response: httpx.Response, default: float) -> float:
    """The pause a 429 or 503 asks for in seconds (capped), else ``default``."""
    try:
        return min(max(float(response.headers.get("retry-after", "")), 0.0), LONGEST_WAIT)
    except ValueError:
        return default
