"""The engine on the shipped Gemma 3 270M: the same behaviour in process and over HTTP,
then what only the local engine does (speculation, prefix reuse, saved states, batched scoring)."""

from __future__ import annotations

import json

import pytest

from ft.core.errors import ContextOverflow, ModelError
from local_models import GenerateOptions

pytest.importorskip("llama_cpp")

GREEDY = GenerateOptions(max_tokens=24)
DOC = (
    "The write-ahead log appends changed pages to a separate file. Readers keep using the old "
    "pages until a checkpoint copies the log back into the database. A checkpoint runs after "
    "one thousand pages by default. "
)


def test_greedy_generation_is_deterministic_and_streams(engine):
    streamed: list[str] = []
    first = engine.generate("Q: What is the capital of France?\nA: The capital of France is", GREEDY, on_text=streamed.append)
    second = engine.generate("Q: What is the capital of France?\nA: The capital of France is", GREEDY)
    assert first.text == second.text
    assert "".join(streamed) == first.text
    assert "Paris" in first.text


def test_stop_string_ends_generation_and_is_not_returned(engine):
    streamed: list[str] = []
    result = engine.generate("1, 2, 3, 4,", GenerateOptions(max_tokens=40, stop=(" 7",)), on_text=streamed.append)
    assert result.stop_reason == "stop"
    assert result.text.strip().startswith("5, 6")
    assert " 7" not in result.text and "".join(streamed) == result.text


def test_grammar_allows_only_its_words(engine):
    grammar = 'root ::= "yes" | "no"'
    result = engine.generate("Is the sky green? Answer:", GenerateOptions(max_tokens=8, grammar=grammar))
    assert result.text in ("yes", "no")


def test_json_schema_output_parses(engine):
    schema = {"type": "object", "properties": {"label": {"type": "string", "enum": ["paper", "tool"]}},
              "required": ["label"]}
    result = engine.generate("Classify 'llama.cpp' as JSON: ", GenerateOptions(max_tokens=32, json_schema=schema))
    assert json.loads(result.text)["label"] in ("paper", "tool")


def test_scoring_prefers_the_likely_continuation(engine):
    scores = engine.score("The capital of France is", [" Paris", " London", " Berlin"])
    assert scores[0] == max(scores)
    assert all(s < 0 for s in scores)


def test_prompt_longer_than_context_is_a_clear_error(engine):
    with pytest.raises(ModelError, match=r"context|exceed|token"):
        engine.generate("word " * 3000, GREEDY)


def test_local_overflow_names_sizes(local_engine):
    with pytest.raises(ContextOverflow, match=r"the prompt is \d+ tokens but gemma3-270m's context holds 2048"):
        local_engine.generate("word " * 3000, GREEDY)


def test_chat_completes(engine):
    # The shipped Gemma is a base model: over HTTP the server's chat format may end it at once.
    reply = engine.chat([{"role": "user", "content": "Say hello."}], GenerateOptions(max_tokens=16))
    assert reply.stop_reason in ("stop", "eog", "length") and isinstance(reply.text, str)


def test_instruct_model_chats_in_its_template(model_home):
    from ft.core.settings import Settings
    from local_models import load_engine
    from tests.engines import shipped

    shipped(model_home, "smollm2-135m")
    with load_engine("smollm2-135m", settings=Settings(model_home), n_ctx=1024) as engine:
        reply = engine.chat([{"role": "user", "content": "What is the capital of France?"}], GenerateOptions(max_tokens=24))
    assert "Paris" in reply.text and reply.stop_reason in ("eog", "length")


# -- local engine only -----------------------------------------------------------


# Evaluating a token in a batch or alone rounds differently: logits move by up to ~0.15 here.
TIE = 0.25


def _same_or_tied(engine, prompt, a, b):
    """Greedy outputs agree, or first differ where the two choices are tied within rounding."""
    found = engine.divergence(prompt, a.tokens, b.tokens)
    assert found is None or found[1] < TIE, f"diverged at token {found[0]} with a logit gap of {found[1]:.4f}"


def test_prompt_lookup_keeps_greedy_output_and_accepts_drafts(local_engine):
    prompt = DOC * 3 + "Quote the first sentence: The write-ahead log"
    plain = local_engine.generate(prompt, GenerateOptions(max_tokens=40))
    fast = local_engine.generate(prompt, GenerateOptions(max_tokens=40, speculation="prompt"))
    _same_or_tied(local_engine, prompt, plain, fast)
    assert fast.accepted > 10 and fast.decode_steps < plain.decode_steps


def test_draft_model_speculation_keeps_output(gemma_path, tmp_path_factory, model_home):
    from local_models.llama_engine import LlamaEngine
    from local_models.quantize import quantize

    draft = quantize(gemma_path, tmp_path_factory.mktemp("draft") / "gemma-q4_0.gguf", "q4_0")
    with LlamaEngine(gemma_path, n_ctx=1024, draft_path=draft) as engine:
        prompt = "Speculative decoding is a technique where"
        plain = engine.generate(prompt, GenerateOptions(max_tokens=40))
        drafted = engine.generate(prompt, GenerateOptions(max_tokens=40, speculation="draft"))
        _same_or_tied(engine, prompt, plain, drafted)
        assert drafted.accepted > 0


def test_draft_with_another_vocabulary_is_refused(gemma_path, model_home):
    from local_models.llama_engine import LlamaEngine
    from tests.engines import shipped

    with pytest.raises(ModelError, match="vocabulary differs"):
        LlamaEngine(gemma_path, n_ctx=512, draft_path=shipped(model_home, "smollm2-135m"))


def test_shared_prefix_is_evaluated_once(local_engine):
    prefix = DOC * 4 + "\n"
    local_engine.generate(prefix + "Question one:", GenerateOptions(max_tokens=2))
    second = local_engine.generate(prefix + "Question two?", GenerateOptions(max_tokens=2))
    assert second.prompt_tokens > 150
    assert second.prompt_evaluated <= 6


def test_saved_prefix_state_is_loaded_by_a_new_engine(gemma_path, tmp_path):
    from local_models.llama_engine import LlamaEngine

    prefix = "Instructions: label each item.\n" + DOC * 3 + "\n"
    with LlamaEngine(gemma_path, n_ctx=1024, cache_dir=tmp_path) as first:
        assert first.load_prefix(prefix) > 100
        expected = first.score(prefix + "Item: SQLite WAL\nLabel:", [" database", " cooking"])
    with LlamaEngine(gemma_path, n_ctx=1024, cache_dir=tmp_path) as second:
        assert second.load_prefix(prefix) == 0  # loaded from disk, not evaluated
        got = second.score(prefix + "Item: SQLite WAL\nLabel:", [" database", " cooking"])
        assert second.evaluated < 12
    assert got == pytest.approx(expected, abs=1e-3)


def test_batched_scoring_matches_one_by_one(local_engine):
    prefix = "Label each item as database or cooking.\n"
    items = ["Item: write-ahead log\nLabel:", "Item: sourdough starter\nLabel:", "Item: B-tree pages\nLabel:"]
    labels = [" database", " cooking"]
    batched = local_engine.score_many(prefix, items, labels)
    single = [local_engine.score(prefix + item, labels) for item in items]
    for b, s in zip(batched, single):
        assert b == pytest.approx(s, abs=TIE)
    assert [max(range(2), key=b.__getitem__) for b in batched] == [max(range(2), key=s.__getitem__) for s in single]


def test_multi_token_candidates_are_scored_in_full(local_engine):
    scores = local_engine.score("The opposite of hot is", [" cold water", " cold", " cold fusion reactor"])
    assert len(scores) == 3 and scores[1] > scores[2]


def test_bad_grammar_is_a_model_error(local_engine):
    with pytest.raises(ModelError, match="GBNF"):
        local_engine.generate("x", GenerateOptions(grammar="this is not a grammar"))


def test_genai_folder_without_the_extra_or_a_model_is_a_clear_error(tmp_path):
    from ft.core.errors import BackendUnavailable
    from ft.core.settings import Settings
    from local_models import load_engine

    folder = tmp_path / "phi-npu"
    folder.mkdir()
    with pytest.raises((BackendUnavailable, ModelError), match="onnxruntime-genai|genai_config.json"):
        load_engine(str(folder), settings=Settings(tmp_path))
