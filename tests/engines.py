"""Engines for the model tests: the shipped models, assembled once per session, and
``llama_cpp.server`` on 127.0.0.1 for the remote backend."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")

from benchmarks.servers import free_port
from benchmarks.servers import serve as start_server
from local_models.registry import Registry

__all__ = ["free_port", "shipped", "start_server"]


def shipped(home: Path, name: str) -> Path:
    registry = Registry(home)
    if not registry.info(name).available:
        pytest.skip(f"{name} is not installed")
    return registry.path(name)
