"""Reusing evaluated prompt prefixes: in the live context, in memory, and on disk.

A long shared prefix (instructions, taxonomy, few-shot examples) is evaluated
once. Within a process the engine keeps it in the KV cache and evaluates only
what follows it (``common_prefix``). Across processes its state is saved to
disk, keyed by the model file's hash and the prefix tokens' hash, so a later
run loads it instead of evaluating it. Both stores are bounded by bytes and
evict the least recently used entry first.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from ft.core.privacy import private_dir, write_private

__all__ = ["StateCache", "common_prefix", "file_sha256", "prefix_key"]


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def prefix_key(model_hash: str, tokens: Sequence[int]) -> str:
    """The cache key of a prefix: which model, which exact tokens."""
    digest = hashlib.sha256(model_hash.encode())
    digest.update(b"".join(t.to_bytes(4, "little", signed=True) for t in tokens))
    return digest.hexdigest()[:40]


def file_sha256(path: Path, memo: Path | None = None) -> str:
    """The file's sha256, remembered in ``memo`` (JSON) by path, size and mtime."""
    stat = path.stat()
    stamp = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    known: dict[str, str] = {}
    if memo and memo.exists():
        try:
            known = json.loads(memo.read_text())
        except (OSError, json.JSONDecodeError):
            known = {}
    if stamp in known:
        return known[stamp]
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    known[stamp] = digest.hexdigest()
    if memo:
        private_dir(memo.parent)
        write_private(memo, json.dumps(known).encode())
    return known[stamp]


class StateCache:
    """Saved sequence states by key: an in-memory LRU and an optional folder on disk."""

    def __init__(self, folder: Path | None = None, memory_bytes: int = 512 << 20, disk_bytes: int = 2 << 30) -> None:
        self.folder = folder
        self.memory_bytes = memory_bytes
        self.disk_bytes = disk_bytes
        self._memory: OrderedDict[str, bytes] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        path = self._path(key)
        return key in self._memory or (path is not None and path.exists())

    def get(self, key: str) -> bytes | None:
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        path = self._path(key)
        if path is None or not path.exists():
            return None
        data = path.read_bytes()
        os.utime(path)  # a read counts as use for eviction
        self._remember(key, data)
        return data

    def put(self, key: str, data: bytes) -> None:
        self._remember(key, data)
        path = self._path(key)
        if path is not None:
            private_dir(path.parent)
            write_private(path, data)  # it holds the text of items: owner-only, and never half-written
            self._evict_disk()

    def _remember(self, key: str, data: bytes) -> None:
        self._memory[key] = data
        self._memory.move_to_end(key)
        while sum(len(v) for v in self._memory.values()) > self.memory_bytes and len(self._memory) > 1:
            self._memory.popitem(last=False)

    def _path(self, key: str) -> Path | None:
        return self.folder / f"{key}.kv" if self.folder else None

    def _evict_disk(self) -> None:
        files = sorted(self.folder.glob("*.kv"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for path in files[:-1]:
            if total <= self.disk_bytes:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)
