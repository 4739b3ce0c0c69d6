"""Preparing an ONNX sentence-embedding model for the hardware it runs on.

The shipped all-MiniLM-L6-v2 "int8" model stores int8 weights that are cast
back to float at load time, so ONNX Runtime computes it in float32, with an
attention pattern its fusions do not recognise. From it ft derives, once,
cached beside the library's models:

- ``float_model``: the same network with the weights folded to float32 —
  the reference the quantized models are checked against;
- ``cpu_int8``: BiasGelu and SkipLayerNorm fused, then dynamic int8 with a
  scale per output channel for the weight matrices (the activation × activation
  attention products stay float): integer kernels (VNNI, dot-product) on CPUs;
- ``npu_qdq``: static shapes and static QDQ quantization (8-bit weights,
  16-bit activations on the matrix products) calibrated on the user's own text,
  which NPUs (QNN HTP, OpenVINO NPU, VitisAI) require.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ft.core.errors import BackendUnavailable

from .providers import ort_errors

__all__ = ["cpu_int8", "float_model", "npu_qdq"]


class _quiet:
    """ONNX Runtime's quantizer logs advice to the root logger; ft reports its own results."""

    def __enter__(self) -> None:
        logging.disable(logging.WARNING)
        warnings.simplefilter("ignore")

    def __exit__(self, *exc: object) -> None:
        logging.disable(logging.NOTSET)
        warnings.resetwarnings()


def _replace(tmp: Path, target: Path) -> Path:
    os.replace(tmp, target)
    return target


def float_model(source: Path, target: Path) -> Path:
    """``source`` with constant weights folded to float32 (ONNX Runtime's basic optimizations)."""
    if target.exists():
        return target
    import onnxruntime as ort

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp.onnx")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(tmp)
    with ort_errors(f"folding {source.name}"):
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
    return _replace(tmp, target)


def _weight_matmuls(model) -> tuple[list[str], list[str]]:
    """Names of MatMul nodes with a constant operand (weights) and without (attention)."""
    constants = {i.name for i in model.graph.initializer}
    weights, activations = [], []
    for node in model.graph.node:
        if node.op_type == "MatMul":
            (weights if any(i in constants for i in node.input) else activations).append(node.name)
    return weights, activations


def _tools(purpose: str):
    """onnx and ONNX Runtime's quantization, optimizer and model tools, or a clear error."""
    try:
        import onnx
        from onnxruntime import quantization
        from onnxruntime.tools import onnx_model_utils
        from onnxruntime.transformers import optimizer
    except ImportError as exc:
        raise BackendUnavailable(f"{purpose} needs the onnx package: pip install onnx ({exc})") from exc
    return onnx, quantization, optimizer, onnx_model_utils


def cpu_int8(source: Path, target: Path, heads: int = 12, hidden: int = 384) -> Path:
    """Fused and dynamically quantized (per-channel int8 weights) for CPU inference."""
    if target.exists():
        return target
    onnx, quantization, optimizer, _ = _tools("optimizing the embedder")
    folded = float_model(source, target.with_name(target.stem + "-float.onnx"))
    fused = target.with_suffix(".fused.tmp.onnx")
    tmp = target.with_suffix(".tmp.onnx")
    with ort_errors(f"optimizing {source.name}"), _quiet():
        optimizer.optimize_model(str(folded), model_type="bert", num_heads=heads, hidden_size=hidden,
                                 opt_level=1).save_model_to_file(str(fused))
        _, attention = _weight_matmuls(onnx.load(str(fused)))
        quantization.quantize_dynamic(str(fused), str(tmp), weight_type=quantization.QuantType.QInt8, per_channel=True,
                                      op_types_to_quantize=["MatMul"], nodes_to_exclude=attention)
    fused.unlink(missing_ok=True)
    return _replace(tmp, target)


class _Calibration:
    """Feeds tokenised calibration texts, one padded batch at a time, to ``quantize_static``."""

    def __init__(self, feeds: list[dict[str, np.ndarray]]) -> None:
        self._feeds = iter(feeds)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)


def npu_qdq(source: Path, target: Path, feeds: Sequence[dict[str, np.ndarray]]) -> Path:
    """Static QDQ int8 with static input shapes, calibrated on ``feeds`` (one dict per batch).

    Every feed must have the same shapes: they become the model's fixed input shape.
    """
    onnx, quantization, _, model_utils = _tools("static quantization")
    q = quantization
    folded = float_model(source, target.with_name(target.stem + "-float.onnx"))
    static = target.with_suffix(".static.tmp.onnx")
    tmp = target.with_suffix(".tmp.onnx")
    shape = list(next(iter(feeds[0].values())).shape)
    with ort_errors(f"quantizing {source.name} for NPUs"), _quiet():
        model = onnx.load(str(folded))
        for graph_input in model.graph.input:
            model_utils.make_input_shape_fixed(model.graph, graph_input.name, shape)
        onnx.save(model, str(static))
        # Matrix products only, 16-bit activations and 8-bit weights: the combination QNN's HTP
        # runs natively. Quantizing the mask arithmetic (-inf additions) or 8-bit activations
        # drops agreement with the float model to ~0.4 and ~0.93 cosine; this keeps ~0.9997.
        q.quantize_static(str(static), str(tmp), _Calibration(list(feeds)), quant_format=q.QuantFormat.QDQ,
                          activation_type=q.QuantType.QUInt16, weight_type=q.QuantType.QUInt8, per_channel=True,
                          calibrate_method=q.CalibrationMethod.MinMax, op_types_to_quantize=["MatMul", "Gemm"])
    static.unlink(missing_ok=True)
    return _replace(tmp, target)
