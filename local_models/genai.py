"""``GenAIEngine``: ONNX Runtime GenAI model folders behind ft's engine interface.

This is the format NPU vendors ship language models in (Qualcomm QNN, Intel
OpenVINO, AMD VitisAI builds of ``onnxruntime-genai``): a folder with
``genai_config.json``, the ONNX graphs and the tokenizer. The provider is
chosen as for embeddings (``npu.providers.plan``). Optional: needs
``pip install onnxruntime-genai`` (or a vendor build) and such a folder.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ft.core.errors import BackendUnavailable, ContextOverflow, ModelError
from npu.providers import ort_errors, plan

from .engine import Completion, Engine, GenerateOptions, OnText
from .stops import TextStream
from .templates import transcript_prompt

__all__ = ["GenAIEngine", "is_genai_folder"]

# ONNX Runtime provider names and the short names onnxruntime-genai's Config takes.
_GENAI_NAMES = {"QNNExecutionProvider": "qnn", "OpenVINOExecutionProvider": "openvino",
                "VitisAIExecutionProvider": "vitisai", "DmlExecutionProvider": "dml", "CUDAExecutionProvider": "cuda"}


def is_genai_folder(path: Path) -> bool:
    return path.is_dir() and (path / "genai_config.json").is_file()


def _og():
    try:
        import onnxruntime_genai
    except ImportError as exc:
        raise BackendUnavailable("ONNX GenAI models need onnxruntime-genai: pip install onnxruntime-genai "
                                 "(or your NPU vendor's build of it)") from exc
    return onnxruntime_genai


class GenAIEngine(Engine):
    """A GenAI model folder on the first provider in ``plan(device)`` that loads it."""

    supports_grammar = True

    def __init__(self, folder: Path, device: str = "auto", n_ctx: int = 4096) -> None:
        og = _og()
        if not is_genai_folder(folder):
            raise ModelError(f"{folder}: not an ONNX GenAI model folder (no genai_config.json)")
        failures = []
        for candidate in plan(device):
            config = og.Config(str(folder))
            config.clear_providers()
            if candidate.provider in _GENAI_NAMES:
                config.append_provider(_GENAI_NAMES[candidate.provider])
            try:
                self.model = og.Model(config)
                break
            except Exception as exc:  # vendor providers fail in their own ways
                failures.append(f"{candidate.provider}: {' '.join(str(exc).split())[:160]}")
        else:
            raise BackendUnavailable(f"{folder}: no provider could load it: {'; '.join(failures)}")
        self.provider = candidate.provider
        self.tokenizer = og.Tokenizer(self.model)
        self.model_id = folder.name
        self.n_ctx = n_ctx

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text))

    def generate(self, prompt: str, options: GenerateOptions | None = None, on_text: OnText | None = None) -> Completion:
        og = _og()
        opts = options or GenerateOptions()
        tokens = self.tokenizer.encode(prompt)
        if len(tokens) + 1 > self.n_ctx:
            raise ContextOverflow(f"the prompt is {len(tokens)} tokens but {self.model_id}'s context holds {self.n_ctx}")
        params = og.GeneratorParams(self.model)
        params.set_search_options(max_length=min(self.n_ctx, len(tokens) + opts.max_tokens),
                                  do_sample=opts.temperature > 0, temperature=max(opts.temperature, 1e-5),
                                  top_k=opts.top_k, top_p=opts.top_p, random_seed=opts.seed)
        if opts.json_schema is not None:
            import json

            params.set_guidance("json_schema", json.dumps(opts.json_schema))
        elif opts.grammar:
            raise ModelError("ONNX GenAI takes JSON schemas or Lark grammars, not GBNF; use json_schema")
        started = time.perf_counter()
        result = Completion(text="", prompt_tokens=len(tokens), prompt_evaluated=len(tokens))
        stream, decoder = TextStream(opts.stop), self.tokenizer.create_stream()
        with ort_errors(f"generating with {self.model_id}"):
            generator = og.Generator(self.model, params)
            generator.append_tokens(np.array(tokens, dtype=np.int32))
            result.prefill_seconds = time.perf_counter() - started
            while not generator.is_done():
                generator.generate_next_token()
                token = int(generator.get_next_tokens()[0])
                result.tokens.append(token)
                text, stopped = stream.push(decoder.decode(token).encode())
                if text and on_text:
                    on_text(text)
                if stopped:
                    result.stop_reason = "stop"
                    break
            else:
                result.stop_reason = "eog" if len(result.tokens) < opts.max_tokens else "length"
        rest = stream.finish()
        if rest and on_text:
            on_text(rest)
        result.text = stream.text
        result.decode_seconds = time.perf_counter() - started - result.prefill_seconds
        return result

    def chat(self, messages: Sequence[dict[str, str]], options: GenerateOptions | None = None,
             on_text: OnText | None = None) -> Completion:
        template = getattr(self.tokenizer, "apply_chat_template", None)
        if template is not None:
            import json

            prompt = template(json.dumps(list(messages)), add_generation_prompt=True)
            return self.generate(prompt, options, on_text)
        return self.generate(transcript_prompt(messages), options, on_text)

    def score(self, prompt: str, candidates: Sequence[str]) -> list[float]:
        """Log-probability of each candidate's tokens, one generator per candidate."""
        og = _og()
        base = self.tokenizer.encode(prompt)
        scores = []
        with ort_errors(f"scoring with {self.model_id}"):
            for candidate in candidates:
                params = og.GeneratorParams(self.model)
                params.set_search_options(max_length=len(base) + 64)
                generator = og.Generator(self.model, params)
                total = 0.0
                context = list(base)
                for token in self.tokenizer.encode(candidate) or [0]:
                    generator.append_tokens(np.array(context, dtype=np.int32))
                    logits = generator.get_logits()[0, -1].astype(np.float64)  # (vocab,)
                    top = logits.max()
                    total += float(logits[token] - top - np.log(np.exp(logits - top).sum()))
                    context = [token]
                scores.append(total)
        return scores
