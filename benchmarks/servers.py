"""``python -m llama_cpp.server`` on 127.0.0.1, for the benchmarks and the tests of the server backends."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["free_port", "serve", "stop"]


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(model: Path, log: Path, *options: str) -> tuple[subprocess.Popen, str]:
    """``python -m llama_cpp.server`` for ``model`` on a free loopback port, once it answers;
    ``options`` are more server flags (``--embedding true``)."""
    with log.open("w") as out:  # the server writes to its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(port := free_port()), "--n_ctx", "2048", "--n_threads", "2", "--verbose", "false",
             *options],
            stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/v1/models", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    """End the server; killed when a request it is still serving keeps it from shutting down."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
