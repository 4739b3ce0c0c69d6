"""Engines for the model tests: the shipped models, assembled once per session, and
``llama_cpp.server`` on 127.0.0.1 for the remote backend."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("llama_cpp")

from local_models.registry import Registry  # noqa: E402


def shipped(home: Path, name: str) -> Path:
    registry = Registry(home)
    if not registry.info(name).available:
        pytest.skip(f"{name} is not installed")
    return registry.path(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: Path, log: Path, *options: str) -> tuple[subprocess.Popen, str]:
    """``python -m llama_cpp.server`` for ``model`` on a free loopback port, once it answers;
    ``options`` are more server flags (``--embedding true``)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--verbose", "false", *options],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/v1/models", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("llama_cpp.server did not start in 120 s")
