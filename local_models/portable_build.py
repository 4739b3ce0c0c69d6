"""Build llama-cpp-python for the CPU it will run on, never with AMX, cached by its flags.

``pip install llama-cpp-python`` compiles llama.cpp with ``GGML_NATIVE=ON``:
``-march=native`` turns on every instruction set the build machine advertises,
AMX among them, and on virtual machines that advertise AMX but fault on its
tile instructions every model call dies with SIGSEGV. This script names the
instruction sets explicitly instead (``GGML_NATIVE=OFF``): the x86-64-v3 set
(AVX2, FMA, F16C, BMI2) everywhere, the AVX-512 family only where the CPU has
it, AMX never. It runs with the standard library alone, before ft is installed.

pip's wheel cache does not key on ``CMAKE_ARGS``, so a wheel built earlier with
other flags would be silently reused; the wheel is built with ``--no-cache-dir``
into a folder named by a hash of (version, flags, Python, platform) and reused
only from there.

    python local_models/portable_build.py cmake-args   # the flags for this CPU
    python local_models/portable_build.py install      # build once per key, install (make does this)
    python -m local_models.portable_build install --force   # where ft is installed: rebuild now
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

PACKAGE = "llama-cpp-python"
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"

# ggml option -> the /proc/cpuinfo flag that must be present for it.
_AVX512_FAMILY = {
    "GGML_AVX512": "avx512f",
    "GGML_AVX512_VBMI": "avx512_vbmi",
    "GGML_AVX512_VNNI": "avx512_vnni",
    "GGML_AVX512_BF16": "avx512_bf16",
    "GGML_AVX_VNNI": "avx_vnni",
}
_X86_64_V3 = {"GGML_AVX": "avx", "GGML_AVX2": "avx2", "GGML_FMA": "fma", "GGML_F16C": "f16c", "GGML_BMI2": "bmi2"}
# Off whatever the CPU says: the tiles fault on some virtual machines that advertise them.
_NEVER = ("GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The feature flags of the first CPU listed (all cores of a machine share them)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return set()
    match = re.search(r"^(?:flags|Features)\s*:\s*(.*)$", text, re.MULTILINE)
    return set(match.group(1).split()) if match else set()


def cmake_args(flags: set[str], machine: str | None = None) -> list[str]:
    """CMake options for a llama.cpp that runs on a CPU with ``flags`` and any like it."""
    machine = (machine or platform.machine()).lower()
    args = ["-DGGML_NATIVE=OFF"]
    if machine in ("x86_64", "amd64"):
        v3 = all(flag in flags for flag in _X86_64_V3.values())
        for option in _X86_64_V3:
            args.append(f"-D{option}={'ON' if v3 else 'OFF'}")
        for option, flag in _AVX512_FAMILY.items():
            args.append(f"-D{option}={'ON' if v3 and flag in flags else 'OFF'}")
        args += [f"-D{option}=OFF" for option in _NEVER]
    return args


def pinned_version(pyproject: Path = PYPROJECT) -> str:
    """The llama-cpp-python version ft pins: pyproject.toml in a checkout, else the installed ft's metadata."""
    if pyproject.is_file():
        deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    else:
        deps = metadata.requires("ft") or []
    for dep in deps:
        match = re.match(rf"{PACKAGE}\s*==\s*([\w.]+)", dep.strip())
        if match:
            return match.group(1)
    raise SystemExit(f"{pyproject}: no '{PACKAGE}==VERSION' dependency")


def build_key(version: str, args: list[str]) -> str:
    """What a wheel is valid for: the same key means the same compiled instructions."""
    seed = json.dumps([version, args, sysconfig.get_platform(), sys.implementation.cache_tag])
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def wheel_dir(key: str) -> Path:
    """Where the wheel for ``key`` lives: outside the clone, so a fresh clone reuses it."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "ft" / "llama-wheels" / key


def rebuild_command() -> str:
    """The one command that replaces the installed llama.cpp with a portable build, in this environment."""
    return f"{sys.executable} -m local_models.portable_build install --force"


def install(force: bool = False) -> Path:
    """Build the wheel for this CPU unless one with the same key exists, then install it."""
    version = pinned_version()
    args = cmake_args(cpu_flags())
    folder = wheel_dir(build_key(version, args))
    wheels = sorted(folder.glob("llama_cpp_python-*.whl"))
    if force or not wheels:
        folder.mkdir(parents=True, exist_ok=True)
        for old in wheels:
            old.unlink()
        env = dict(os.environ, CMAKE_ARGS=" ".join(args), CMAKE_BUILD_PARALLEL_LEVEL=str(os.cpu_count() or 2))
        print(f"building {PACKAGE}=={version} with {' '.join(args)} (a few minutes, once per CPU kind)", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-cache-dir",
                        "--no-binary", PACKAGE, f"{PACKAGE}=={version}", "-w", str(folder)], env=env, check=True)
        (folder / "build.json").write_text(json.dumps({"version": version, "cmake_args": args}, indent=1))
        wheels = sorted(folder.glob("llama_cpp_python-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheels[-1])],
                   check=True)
    return wheels[-1]


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "cmake-args"
    if command == "cmake-args":
        print(" ".join(cmake_args(cpu_flags())))
    elif command == "install":
        print(f"installed {install(force='--force' in argv[1:]).name}")
    else:
        print(f"usage: {Path(__file__).name} cmake-args | install [--force]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
