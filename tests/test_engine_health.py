"""The portable llama.cpp build and the engine check: a decode that dies by a signal is caught in
a child, recorded, and turned into one line with the fix, while the rest of ft keeps working."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from local_models import health
from local_models.portable_build import build_key, cmake_args, cpu_flags, rebuild_command

pytest.importorskip("llama_cpp")

FT = [sys.executable, "-m", "ft.cli"]
SAPPHIRE_RAPIDS = {"avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512_vbmi", "avx512_vnni", "avx512_bf16",
                   "avx_vnni", "amx_tile", "amx_int8", "amx_bf16"}
HASWELL = {"avx", "avx2", "fma", "f16c", "bmi2"}

# Stands in for a llama.cpp whose kernels this CPU cannot run: the graph compute that llama_decode
# calls in libggml-base dies with SIGSEGV, as the AMX build did under ldtilecfg.
CRASHING_COMPUTE = """
#include <signal.h>
int ggml_backend_sched_graph_compute_async(void *sched, void *graph) { raise(SIGSEGV); return 0; }
"""


def test_the_build_never_asks_for_amx_and_follows_the_cpu():
    amx_machine = cmake_args(SAPPHIRE_RAPIDS, "x86_64")
    assert "-DGGML_NATIVE=OFF" in amx_machine
    assert {"-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"} <= set(amx_machine)
    assert "-DGGML_AVX512=ON" in amx_machine and "-DGGML_AVX512_VNNI=ON" in amx_machine
    avx2_machine = cmake_args(HASWELL, "x86_64")
    assert "-DGGML_AVX2=ON" in avx2_machine and "-DGGML_AVX512=OFF" in avx2_machine
    assert cmake_args(set(), "x86_64")[:2] == ["-DGGML_NATIVE=OFF", "-DGGML_AVX=OFF"]
    # pip's wheel cache ignores CMAKE_ARGS; ft's is keyed by them, so a wheel is never reused across flag sets
    assert build_key("0.3.36", amx_machine) != build_key("0.3.36", avx2_machine)
    assert build_key("0.3.36", avx2_machine) == build_key("0.3.36", list(avx2_machine))


def test_a_decode_in_a_child_process_survives_on_this_cpu(gemma_path: Path):
    """What `make demo` died of: any death by a signal fails this test, with the signal named."""
    child = subprocess.run([sys.executable, "-m", "local_models.health", str(gemma_path)],
                           capture_output=True, text=True, timeout=300)
    assert child.returncode >= 0, f"the decode died with {signal.Signals(-child.returncode).name}: {child.stderr[-2000:]}"
    assert child.returncode == 0, child.stderr[-2000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])
    built = health.build_features(report["system_info"])
    assert report["tokens_per_second"] > 0
    assert not built.get("AMX_INT8"), report["system_info"]
    if "avx2" in cpu_flags():
        assert built["AVX2"], report["system_info"]


def test_the_verdict_is_recorded_once_per_build_and_cpu(tmp_path: Path, gemma_path: Path):
    first = health.check(tmp_path, gemma_path)
    assert first.ok and first.tokens_per_second > 0
    record = json.loads((tmp_path / health.RECORD).read_text())
    assert list(record) == [first.key]
    again = health.check(tmp_path, gemma_path)  # read back, not probed again
    assert again == first
    health.require_healthy(tmp_path, gemma_path)


@pytest.fixture(scope="module")
def crashing_compute(tmp_path_factory) -> Path:
    if not shutil.which("gcc"):
        pytest.skip("gcc is needed to build the crashing stand-in")
    folder = tmp_path_factory.mktemp("crash")
    (folder / "crash.c").write_text(CRASHING_COMPUTE)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(folder / "libcrash.so"), str(folder / "crash.c")], check=True)
    return folder / "libcrash.so"


def test_a_build_that_dies_is_refused_in_one_line_and_the_rest_works(demo_copy, crashing_compute: Path):
    home = demo_copy("crashing-build")
    env = {**os.environ, "FT_HOME": str(home), "LD_PRELOAD": str(crashing_compute)}

    def ft(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*FT, *args], capture_output=True, text=True, env=env, timeout=600)

    item = json.loads(ft("list", "--json", "--limit", "1").stdout)[0]["id"]
    for command in (["generate", "hello"], ["classify", "--labels", "paper,tool,opinion"],
                    ["summarize", str(item), "--rewrite"], ["ask", "What is Q8_0?", "--rewrite"]):
        done = ft(*command)
        assert done.returncode == 1, (command, done.returncode, done.stderr[-2000:])
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, (command, done.stderr)
        assert "SIGSEGV" in lines[0] and rebuild_command() in lines[0], lines[0]
    verdicts = json.loads((home / health.RECORD).read_text())
    assert [v["ok"] for v in verdicts.values()] == [False]  # probed once, then read back
    for command in (["search", "speculative decoding"], ["list", "--limit", "3"], ["stats"]):
        done = ft(*command)
        assert done.returncode == 0 and done.stdout.strip(), (command, done.stderr[-2000:])
    doctor = json.loads(ft("doctor", "--json").stdout)
    check = next(c for c in doctor if c["name"] == "llama.cpp on this CPU")
    assert not check["ok"] and check["fix"] == rebuild_command()
