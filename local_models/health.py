"""Whether this llama.cpp build runs on this CPU, found out once in a child process.

A llama.cpp compiled for instructions the CPU cannot execute (AMX tiles on a
virtual machine that advertises but faults on them, AVX-512 on a CPU without
it) does not raise: it kills the process with SIGSEGV or SIGILL. So the first
time a given build (llama-cpp-python's version and its compiled libraries)
meets a given CPU (its feature flags), ft decodes a few tokens of the shipped
model in a child process and writes the verdict to ``FT_HOME/engine-check.json``.
A build that died there is refused with one line naming the cause and the
rebuild command, and the user's process, and every command that needs no
model, keeps working.

    python -m local_models.health MODEL.gguf   # the probe the parent runs
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata, util
from pathlib import Path

from ft.core.dates import now_iso
from ft.core.errors import BackendUnavailable

from .portable_build import cpu_flags, rebuild_command

__all__ = ["Verdict", "build_fingerprint", "check", "build_features", "instruction_sets", "require_healthy"]

RECORD = "engine-check.json"
PROBE_TOKENS = 8
PROBE_TIMEOUT = 300  # seconds; model load on a slow disk included
# llama.cpp's name for an instruction set -> the /proc/cpuinfo flag of a CPU that has it.
INSTRUCTION_SETS = {"AMX_INT8": "amx_int8", "AVX512": "avx512f", "AVX512_VNNI": "avx512_vnni",
                    "AVX_VNNI": "avx_vnni", "AVX2": "avx2", "FMA": "fma", "F16C": "f16c", "AVX": "avx"}


@dataclass
class Verdict:
    """What the probe found for one (build, CPU) pair; ``cause`` is empty when ``ok``."""

    ok: bool
    cause: str
    build: str
    cpu: str
    checked_at: str
    features: dict[str, bool] = field(default_factory=dict)
    tokens_per_second: float | None = None

    @property
    def key(self) -> str:
        return f"{self.build}-{self.cpu}"


def _library_files() -> list[Path]:
    """llama-cpp-python's compiled libraries, found without loading them."""
    spec = util.find_spec("llama_cpp")
    if spec is None or not spec.origin:
        raise BackendUnavailable("llama-cpp-python is not installed: make install (or pip install llama-cpp-python)")
    lib = Path(spec.origin).parent / "lib"
    return sorted(lib.glob("*.so*")) + sorted(lib.glob("*.dylib")) + sorted(lib.glob("*.dll"))


def build_fingerprint() -> str:
    """Changes whenever llama.cpp is rebuilt or reinstalled: version plus each library's size and time."""
    parts = [metadata.version("llama-cpp-python")]
    for path in _library_files():
        stat = path.stat()
        parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def cpu_fingerprint() -> str:
    """The CPU's architecture and feature flags: the same on every machine of one CPU kind."""
    seed = platform.machine() + " " + " ".join(sorted(cpu_flags()))
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def build_features(system_info: str) -> dict[str, bool]:
    """The instruction sets llama.cpp was compiled with, from ``llama_print_system_info``."""
    found = dict(re.findall(r"([A-Z][A-Z0-9_]*) = ([01])", system_info))
    return {name: found.get(name) == "1" for name in INSTRUCTION_SETS if name in found}


def instruction_sets(system_info: str) -> list[str]:
    """One phrase per instruction set: whether the build uses it, and whether this CPU has it."""
    flags = cpu_flags()
    phrases = []
    for name, built in build_features(system_info).items():
        has = INSTRUCTION_SETS[name] in flags
        phrases.append(f"{name} {'in use' if built and has else 'built, CPU lacks it' if built else 'not built'}"
                       + (" (CPU has it)" if has and not built else ""))
    return phrases


def _features_here() -> dict[str, bool]:
    """The build's instruction sets, read in this process: loading the library runs no kernel."""
    from .llama_api import require_llama

    return build_features(require_llama().llama_print_system_info().decode())


def _read(home: Path) -> dict[str, dict]:
    try:
        return json.loads((home / RECORD).read_text())
    except (OSError, ValueError):
        return {}


def _write(home: Path, verdict: Verdict) -> None:
    records = _read(home)
    records[verdict.key] = asdict(verdict)
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".{RECORD}.tmp"
    tmp.write_text(json.dumps(records, indent=1))
    tmp.replace(home / RECORD)


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _probe(model: Path, build: str, cpu: str) -> Verdict:
    """Run the child: a verdict when it decoded or died by a signal; any other failure is raised, not recorded."""
    stamp = now_iso()
    try:
        child = subprocess.run([sys.executable, "-m", "local_models.health", str(model)],
                               capture_output=True, text=True, timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise BackendUnavailable(f"llama.cpp check: a {PROBE_TOKENS}-token decode of {model.name} did not finish "
                                 f"in {PROBE_TIMEOUT} s; try again when the machine is less busy") from exc
    if child.returncode < 0:
        features = _features_here()
        built = ", ".join(name for name, on in features.items() if on) or "no vector extensions"
        cause = (f"llama.cpp died with {_signal_name(child.returncode)} decoding {PROBE_TOKENS} tokens of {model.name}: "
                 f"this build ({built}) uses instructions this CPU cannot run")
        return Verdict(False, cause, build, cpu, stamp, features)
    if child.returncode != 0:
        last = (child.stderr.strip().splitlines() or ["no output"])[-1]
        raise BackendUnavailable(f"llama.cpp check on {model.name} failed: {last}")
    report = json.loads(child.stdout.strip().splitlines()[-1])
    return Verdict(True, "", build, cpu, stamp, build_features(report["system_info"]), report["tokens_per_second"])


def check(home: Path, model: Path, *, again: bool = False) -> Verdict:
    """The recorded verdict for this build on this CPU, probing first if there is none (or ``again``)."""
    build, cpu = build_fingerprint(), cpu_fingerprint()
    record = _read(home).get(f"{build}-{cpu}")
    if record and not again:
        return Verdict(**record)
    verdict = _probe(model, build, cpu)
    _write(home, verdict)
    return verdict


def require_healthy(home: Path, model: Path) -> None:
    """Raise one line with the fix unless this llama.cpp build is known to run on this CPU."""
    verdict = check(home, model)
    if not verdict.ok:
        raise BackendUnavailable(f"{verdict.cause}; rebuild it for this CPU: {rebuild_command()} "
                                 f"(model commands are off until then; search, list and the rest work)")


def _decode(model_path: Path) -> dict:
    """The child's work: load, decode a few greedy tokens, report speed and the build's instruction sets."""
    from .llama_api import Context, Model, require_llama

    C = require_llama()
    model = Model(model_path)
    ctx = Context(model, 256, n_batch=64, n_threads=1, n_seq=1)
    sampler = C.llama_sampler_init_greedy()
    tokens = model.tokenize("The first printing press")
    ctx.decode(tokens, 0)
    pos, started = len(tokens), time.perf_counter()
    for _ in range(PROBE_TOKENS):
        token = C.llama_sampler_sample(sampler, ctx.ptr, -1)
        ctx.decode([token], pos)
        pos += 1
    seconds = time.perf_counter() - started
    C.llama_sampler_free(sampler)
    ctx.close()
    model.close()
    return {"tokens_per_second": round(PROBE_TOKENS / seconds, 1),
            "system_info": C.llama_print_system_info().decode()}


if __name__ == "__main__":
    print(json.dumps(_decode(Path(sys.argv[1]))))
