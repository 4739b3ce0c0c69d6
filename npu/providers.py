"""Choosing where an ONNX model runs: NPU first, then GPU, then CPU, with a clean fallback.

ONNX Runtime names its backends "execution providers". Which exist depends on
the installed build (``onnxruntime``, ``onnxruntime-qnn``, ``-openvino``,
``-directml``, ``-gpu``…) and on the hardware. ``plan()`` lists the candidates
for a device preference in order, each with its options and the reason it was
considered; ``open_session()`` tries them in turn and falls back, one line per
failure, so a broken driver never stops ft.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ft.core.errors import BackendUnavailable, ModelError

__all__ = ["Candidate", "KNOWN", "available", "devices", "open_session", "ort_errors", "plan"]

log = logging.getLogger("ft.npu")


@dataclass(frozen=True)
class Candidate:
    """A provider to try: its name, options, device class, and whether it needs static shapes."""

    provider: str
    device: str  # npu | gpu | cpu
    options: dict[str, str] = field(default_factory=dict)
    static_shapes: bool = False
    why: str = ""


# In order of preference within each device class. NPUs want static shapes and int8 QDQ models.
KNOWN: list[Candidate] = [
    Candidate("QNNExecutionProvider", "npu", {"backend_type": "htp", "htp_performance_mode": "burst"}, True,
              "Qualcomm Hexagon NPU (QNN HTP)"),
    Candidate("OpenVINOExecutionProvider", "npu", {"device_type": "NPU"}, True, "Intel NPU through OpenVINO"),
    Candidate("VitisAIExecutionProvider", "npu", {}, True, "AMD Ryzen AI NPU through Vitis AI"),
    Candidate("CoreMLExecutionProvider", "npu", {"MLComputeUnits": "CPUAndNeuralEngine", "ModelFormat": "MLProgram",
                                                  "RequireStaticInputShapes": "1"}, True, "Apple Neural Engine through Core ML"),
    Candidate("CUDAExecutionProvider", "gpu", {}, False, "NVIDIA GPU through CUDA"),
    Candidate("DmlExecutionProvider", "gpu", {"device_id": "0"}, False, "GPU through DirectML"),
    Candidate("CoreMLExecutionProvider", "gpu", {"MLComputeUnits": "CPUAndGPU", "ModelFormat": "MLProgram"}, False,
              "Apple GPU through Core ML"),
    Candidate("CPUExecutionProvider", "cpu", {}, False, "the CPU, always present"),
]
DEVICE_ORDER = ("npu", "gpu", "cpu")


def _ort():
    try:
        import onnxruntime
    except ImportError as exc:
        raise BackendUnavailable("onnxruntime is not installed: pip install onnxruntime") from exc
    return onnxruntime


def available() -> list[str]:
    """The execution providers this ONNX Runtime build offers."""
    return list(_ort().get_available_providers())


def devices() -> list[tuple[str, str]]:
    """(provider, device type) pairs from ORT's device API, where the build has it."""
    ort = _ort()
    if not hasattr(ort, "get_ep_devices"):
        return []
    return [(d.ep_name, d.device.type.name.lower()) for d in ort.get_ep_devices()]


def plan(device: str = "auto", offered: list[str] | None = None) -> list[Candidate]:
    """Candidates to try, best first, for ``device``: auto, npu, gpu, cpu or a provider name.

    Whatever is asked for, the CPU closes the list, so there is always a way to run.
    """
    offered = available() if offered is None else offered
    if device.lower() == "auto":
        wanted = list(DEVICE_ORDER)
    elif device.lower() in DEVICE_ORDER:
        wanted = [device.lower()]
    else:
        named = [c for c in KNOWN if c.provider.lower() == device.lower()]
        if not named:
            named = [Candidate(device, "custom", {}, False, "asked for by name")]
        return [*named, KNOWN[-1]] if named[0].provider != KNOWN[-1].provider else named
    chosen = [c for d in wanted for c in KNOWN if c.device == d and c.provider in offered]
    if not chosen or chosen[-1].provider != "CPUExecutionProvider":
        chosen.append(KNOWN[-1])
    return chosen


@contextmanager
def ort_errors(what: str) -> Iterator[None]:
    """Translate ONNX Runtime's exceptions into ft's, naming what was being done."""
    try:
        yield
    except (BackendUnavailable, ModelError):
        raise
    except FileNotFoundError as exc:
        raise ModelError(f"{what}: {exc.filename or exc}: no such file") from exc
    except Exception as exc:  # onnxruntime raises its own untyped RuntimeErrors and pybind errors
        message = " ".join(str(exc).split())[:300]
        raise ModelError(f"{what}: {type(exc).__name__}: {message}") from exc


def open_session(model: Path, device: str = "auto", on_fallback: Callable[[str], None] | None = None,
                 threads: int | None = None) -> tuple[Any, Candidate]:
    """An ``InferenceSession`` on the first candidate that starts, and that candidate.

    Each candidate that fails is reported through ``on_fallback`` (one line) and skipped.
    """
    ort = _ort()
    if not model.is_file():
        raise ModelError(f"{model}: no such ONNX model")
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3
    failures = []
    for candidate in plan(device):
        providers = [(candidate.provider, candidate.options)]
        if candidate.provider != "CPUExecutionProvider":
            providers.append("CPUExecutionProvider")  # nodes the provider cannot run go to the CPU
        try:
            with warnings.catch_warnings():  # ORT warns about absent providers; ft reports its own line
                warnings.simplefilter("ignore")
                session = ort.InferenceSession(str(model), sess_options=options, providers=providers)
        except Exception as exc:  # provider libraries fail in many ways: missing DLLs, drivers, shapes
            line = f"{candidate.provider} could not start ({' '.join(str(exc).split())[:160]}); falling back"
            failures.append(line)
            log.warning(line)
            if on_fallback:
                on_fallback(line)
            continue
        if session.get_providers()[0] != candidate.provider:
            line = f"{candidate.provider} is not usable in this build; falling back"
            failures.append(line)
            if on_fallback:
                on_fallback(line)
            continue
        return session, candidate
    raise BackendUnavailable(f"{model}: no execution provider could run it: {'; '.join(failures)}")
