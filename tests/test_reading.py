"""Summaries and answers: every sentence cited, every citation a real span, "not found" when
the library has no answer, notes reused across runs."""

from __future__ import annotations

import json

import pytest

import ft
from ft.tasks.reading import NOT_FOUND, ask, summarize
from index import Filters, Record


def _check_citations(lib, result):
    assert result.sentences
    for sentence, notes in result.sentences:
        assert notes, f"uncited sentence: {sentence!r}"
        for note in notes:
            text = lib.get(note.item_id).text
            assert 0 <= note.start < note.end <= len(text)
            assert " ".join(text[note.start : note.end].split()) == sentence  # extractive: the span itself


def test_summary_of_a_long_transcript_cites_every_sentence_and_reuses_notes(ft_home, embedder):
    lines = [f"in part {i} we talk about topic {i % 7} and why the number {i} matters for decoding speed" for i in range(900)]
    with ft.Library(ft_home, embedder=embedder) as lib:
        lib.add(Record("youtube", "v1", title="Long talk", text="\n\n".join(" ".join(lines[i:i + 9]) for i in range(0, 900, 9)),
                       kind="transcript"))
        item = lib.items()[0]
        first = summarize(lib, [item.id], 6, subject=f"item:{item.id}")
        _check_citations(lib, first)
        assert len(first.sentences) == 6 and first.chunks > 10 and first.cached == 0
        assert [s.stage for s in first.trace][0] == "map" and max(s.depth for s in first.trace) >= 2
        again = summarize(lib, [item.id], 6)
        assert again.cached == again.chunks and again.text == first.text
    with ft.Library(ft_home) as lib:
        from ft.tasks.reading import stored_summary

        assert stored_summary(lib, item.id) == first.text


QUESTIONS = {  # question -> title of the one demo item that answers it
    "By default, after how many pages in the write-ahead log does SQLite run an automatic checkpoint?": "lecture-notes",
    "How many bits per weight does Q8_0 use?": "Q4_K_M vs Q8_0: picking a GGUF quantization",
    "How many tokens go into one KV-cache block in PagedAttention?": "PagedAttention and the wasted gigabytes",
}


@pytest.mark.parametrize("question, title", QUESTIONS.items())
def test_ask_answers_with_the_right_citation(demo_library, embedder, question, title):
    with ft.Library(demo_library, embedder=embedder) as lib:
        result = ask(lib, question, Filters())
        _check_citations(lib, result)
        first_cited = lib.get(result.sentences[0][1][0].item_id)
    assert first_cited.title == title


@pytest.mark.parametrize("question", ["What is the boiling point of mercury?", "Who won the 1998 football world cup?"])
def test_ask_says_not_found(demo_library, embedder, question):
    with ft.Library(demo_library, embedder=embedder) as lib:
        assert ask(lib, question, Filters()).text == NOT_FOUND


def test_ask_over_the_samples(samples, ft_home, embedder):
    with ft.Library(ft_home, embedder=embedder) as lib:
        lib.import_path(samples)
        lib.embed()
        result = ask(lib, "Why would someone buy a laptop with a discrete NPU?", Filters())
        _check_citations(lib, result)
        assert lib.get(result.sentences[0][1][0].item_id).title.startswith("921: NPUs vs GPUs")


def test_rewrites_are_kept_only_when_grounded(ft_home, embedder, local_engine):
    with ft.Library(ft_home, embedder=embedder) as lib:
        lib.add(Record("t", "1", title="WAL", text="The write-ahead log appends changed pages to a separate file. "
                       "Readers keep using the old pages until a checkpoint copies the log back. " * 3))
        result = summarize(lib, [lib.items()[0].id], 2, rewrite_engine=local_engine)
        for sentence, notes in result.sentences:
            source = lib.get(notes[0].item_id).text[notes[0].start : notes[0].end].lower()
            assert all(word in source for word in sentence.lower().replace(".", " ").split())
        assert any(step.stage == "rewrite" for step in result.trace)


@pytest.mark.usefixtures("models_in_ft_home")
def test_cli_summarize_and_ask(cli, tmp_path):
    (tmp_path / "wal.md").write_text("# WAL\n\nThe write-ahead log appends changed pages. A checkpoint copies them back.")
    cli("add", str(tmp_path / "wal.md"))
    cli("embed")
    out = json.loads(cli("ask", "What does a checkpoint copy back?", "--json").stdout)
    assert out["sentences"][0]["citations"] and "checkpoint" in out["text"]
    assert cli("summarize").exit_code == 1
    summary = cli("summarize", "1", "--bullets", "--trace")
    assert summary.exit_code == 0 and summary.stdout.startswith("• ") and "map" in summary.stderr
    assert "Summary" in cli("show", "1").stdout


def test_ask_scope_restricts_to_items(demo_library, embedder, cli, monkeypatch):
    monkeypatch.setenv("FT_HOME", str(demo_library))
    with ft.Library(demo_library, embedder=embedder) as lib:
        sourdough = next(i.id for i in lib.items(limit=None) if i.title.startswith("Keeping a sourdough"))
    question = "How many bits per weight does Q8_0 use?"
    assert "8.5 bits" in cli("ask", question).stdout
    assert cli("ask", question, "--scope", str(sourdough)).stdout.strip() == NOT_FOUND
    assert cli("ask", question, "--scope", "x,y").exit_code == 1
