"""ONNX Runtime on whatever accelerator is present: provider choice with fallback,
and static int8 quantization for NPUs."""

from .providers import Candidate, available, devices, open_session, plan

__all__ = ["Candidate", "available", "devices", "open_session", "plan"]
