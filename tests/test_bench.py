"""``ft bench … --json``: one JSON document on stdout, each figure with its baseline and the ratio."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def bench(home: Path, workdir: Path, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "ft.cli", "bench", *args, "--json", "--workdir", str(workdir)],
                          capture_output=True, text=True, env={**os.environ, "FT_HOME": str(home)}, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)  # the whole of stdout is the one document


def test_engine_decode_figures_come_with_both_baselines(tmp_path: Path, model_home: Path, gemma_path: Path):
    pytest.importorskip("llama_cpp")
    document = bench(model_home, tmp_path, "engine", "--only", "decode", "--rounds", "1")
    figures = {(f["name"], f["baseline"]): f for f in document["figures"]}
    assert document["bench"] == "engine"
    assert {("create_completion (llama-cpp-python)", None), ("bare C-API loop", None),
            ("ft's loop", "bare C-API loop"), ("ft's loop", "create_completion")} <= set(figures)
    ours = figures[("ft's loop", "bare C-API loop")]
    assert ours["unit"] == "tok/s" and ours["value"] > 0
    assert ours["ratio"] == pytest.approx(ours["value"] / ours["baseline_value"])


def test_tui_bench_prints_only_json(tmp_path: Path):
    document = bench(tmp_path / "home", tmp_path, "tui", "--items", "200")
    (figure,) = document["figures"]
    assert figure["name"] == "first screen" and figure["unit"] == "s" and figure["value"] > 0
    assert "200 rows" in figure["note"] or "rows shown" in figure["note"]
