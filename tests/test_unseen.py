"""Reading material ft was not tuned on: posts split out of text dumps, answers right after
``ft add``, chapter summaries of long captions, labels from names alone, and ``ft eval``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ft
from ft.sources.segment import OPENING, Weights, line_vectors, shipped_weights, split_posts
from ft.tasks.answer import Candidate, _asked_for, _passages, answer
from ft.tasks.units import units
from ft.tasks.chapters import summarize_item
from ft.tasks.evaluate import load_cases, segmentation
from ft.tasks.label_names import name_meanings, spelt_out, spread_labels
from ft.tasks.taxonomy import from_names
from ft.tasks.units import MAX_WORDS, MIN_WORDS, units
from index import Filters, Record

ROOT = Path(__file__).resolve().parents[1]
DUMP = ROOT / "demo" / "library" / "x-dump.txt"


def test_a_dump_of_posts_splits_near_the_hand_marked_starts(embedder):
    demo_only = [c for c in load_cases(ROOT / "demo" / "eval" / "segments.jsonl") if c["file"].startswith("demo/")]
    assert segmentation(demo_only, ROOT, embedder.embed)["f1"] >= 0.75


@pytest.mark.usefixtures("models_in_ft_home")
def test_posts_carry_their_links_and_lines_and_import_once(cli, tmp_path):
    dump = tmp_path / "dump.txt"
    dump.write_text(DUMP.read_text())
    first = cli("add", str(dump))
    assert first.exit_code == 0 and cli("add", str(dump)).output.startswith("0 added")
    posts = json.loads(cli("list", "--json", "--source", "x", "-n", "100").stdout)
    assert len(posts) >= 10
    by_title = {p["title"]: p for p in posts}
    dpo = by_title["Finally read the DPO paper properly. The whole derivation fits on one page:"]
    assert dpo["meta"]["lines"] == [4, 7] and dpo["meta"]["links"] == ["https://t.co/Xb7Lq2RmVa"]
    assert dpo["meta"]["mentions"] == ["prefopt_notes"]


def test_the_opening_line_model_reads_only_the_embedder_it_was_fit_with(embedder):
    lines = ["Things I wish someone had told me before my first hardware startup:", "- hire a mechanical engineer first",
             "Lovely paper, and the freezer story is real.", "Ran a half marathon this morning."]
    weights = shipped_weights()
    own = weights.opening(line_vectors(lines, embedder.embed).unit, embedder.embed)
    assert len(set(np.round(own, 6))) == len(lines)  # a score of its own for each line

    def other(texts):  # another embedder with the same width: each text's letters as a vector
        return np.array([np.bincount([ord(c) % 384 for c in t], minlength=384) + 1.0 for t in texts])

    assert (weights.opening(line_vectors(lines, other).unit, other) == weights.mean[OPENING]).all()


def test_the_wording_model_reads_how_a_line_opens():
    weights = shipped_weights()
    lines = ["Excited to share our new paper on reward models!", "and the gap closes at 7B, which surprised us."]
    opening, inside = weights.worded(lines)
    assert opening > inside
    assert weights.worded(["zzqx qqzz"])[0] == weights.wording_bias  # words it never saw say nothing
    assert np.allclose(Weights.from_json(json.loads(json.dumps(weights.to_json()))).worded(lines), [opening, inside])


def test_posts_join_lines_that_continue_each_other():
    posts = split_posts("Finally read the paper. The proof fits on one page:\nthe optimum is the reference policy,\n"
                        "so you can invert it. https://t.co/abc\nRan a half marathon this morning.\n"
                        "Negative split and a gel every 30 minutes.")
    assert [p.start for p in posts][:2] == [0, 3]


@pytest.mark.usefixtures("models_in_ft_home")
def test_ask_right_after_add_embeds_and_answers(cli, tmp_path):
    (tmp_path / "q8.md").write_text((ROOT / "demo" / "library" / "notes" / "quantization-formats.md").read_text())
    cli("add", str(tmp_path / "q8.md"))
    answer = cli("ask", "How many bits per weight does Q8_0 use?")
    assert answer.exit_code == 0 and "8.5 bits per weight" in answer.stdout


def test_captions_become_chapters_of_whole_units(ft_home, embedder):
    talk = " ".join(f">> um so today we talk about {topic} and you know the {topic} number {i} matters because {topic} "
                    f"changes how we think about {topic} in practice" for topic in ("sourdough", "kernels", "marathons")
                    for i in range(140))
    with ft.Library(ft_home, embedder=embedder) as lib:
        lib.add(Record("youtube", "long", title="Long talk", text=talk, kind="transcript"))
        reading = summarize_item(lib, lib.items()[0].id)
    lines = [s for s, _ in reading.sentences]
    assert lines[0].startswith("Key terms: ") and sum(line.startswith("## ") for line in lines) >= 2
    headings = " ".join(line for line in lines if line.startswith(("## ", "Key terms: ")))
    assert not {"um", "know", "today"} & set(headings.replace(",", " ").split())  # said everywhere: no topic
    for sentence, notes in reading.sentences:
        if notes:
            assert " ".join(talk[notes[0].start:notes[0].end].split()) == sentence
            assert ">>" not in sentence
    assert all(not talk[a:b].startswith(">") for a, b in units(talk))


def test_units_are_whole_sentences_and_readable_caption_pieces():
    turn = ("so we trained the model for three weeks on the cluster and it kept diverging at night um and then "
            "we found the bad batch of data it was the same cookie banner a million times you know and so we "
            "dropped it and the loss came back down but the thing is nobody noticed for days because the "
            "dashboards were broken too and so the lesson is check your data first and then check it again "
            "actually i mean it every single time")
    text = f"It was 1.5 billion parameters (v2.0). Then it broke!\n\n>> {turn} >> really wow"
    pieces = [text[a:b] for a, b in units(text)]
    assert pieces[:2] == ["It was 1.5 billion parameters (v2.0).", "Then it broke!"]
    caption = pieces[2:-1]
    assert len(caption) >= 2 and all(MIN_WORDS <= len(p.split()) <= MAX_WORDS for p in caption)
    assert " ".join(caption).split() == turn.split() and pieces[-1] == "really wow"  # nothing lost or cut


def test_bare_label_names_learn_words_and_examples_from_the_library(demo_library, embedder):
    taxonomy = from_names("t", "baking,robots,databases")
    with ft.Library(demo_library, embedder=embedder) as lib:
        meanings = name_meanings(lib, taxonomy, embedder.embed)
    described, examples = meanings.taxonomy, meanings.examples
    assert meanings.library is not None and len(meanings.library) > len(examples)
    assert {label for label, _ in examples} == {"baking", "robots", "databases"}
    assert described.names == taxonomy.names and all(label.description for label in described.labels)
    words = {label.name: label.description.split(", ") for label in described.labels}
    assert not set(words["baking"]) & set(words["robots"])  # a word describes one label only


def test_a_shorthand_label_name_is_read_spelt_out(demo_library, embedder):
    assert spelt_out("ml") == "machine learning" and spelt_out("to-read") == "to read" and spelt_out("robots") == "robots"
    assert spelt_out("Inference") == "running models"  # a reading library's sense, not logic
    with ft.Library(demo_library, embedder=embedder) as lib:
        described = name_meanings(lib, from_names("t", "ml,baking"), embedder.embed).taxonomy
    assert described.labels[0].description.startswith("machine learning, ")
    assert not described.labels[1].description.startswith("baking, baking")  # a whole word is not repeated


def test_labels_spread_along_the_library_to_items_nearer_another_name():
    """Two separate runs of items; the far end of run A is nearer label B's query than A's, and
    still ends up A's, because each item's neighbours are A's."""
    steps = np.linspace(0, 1.2, 20)
    axes = np.eye(8, dtype=np.float32)
    run_a = np.array([np.cos(t) * axes[0] + np.sin(t) * axes[1] for t in steps])
    run_b = np.array([np.cos(t) * axes[2] + np.sin(t) * axes[3] for t in steps])
    library = np.vstack([run_a, run_b]).astype(np.float32)
    queries = np.array([axes[0], (axes[2] + 0.5 * axes[1]) / np.hypot(1, 0.5)])
    scores = library @ queries.T
    assert scores[19].argmax() == 1  # by score alone, A's far end is B's
    spread = spread_labels(library, scores)
    assert (spread[:20].argmax(axis=1) == 0).all() and (spread[20:].argmax(axis=1) == 1).all()


def test_eval_commands_report_figures(cli, demo_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("FT_HOME", str(demo_copy("eval")))
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"q": "How many bits per weight does Q8_0 use?", "expect": ["8.5 bits"]}) + "\n"
                         + json.dumps({"q": "What is the boiling point of mercury?", "expect": []}) + "\n")
    figures = json.loads(cli("eval", "questions", str(questions), "--json").stdout)
    assert figures["retrieval"]["recall@5"] == 1.0 and figures["answers"]["correct"] == 1.0
    cases = tmp_path / "s.jsonl"
    cases.write_text(json.dumps({"file": str(DUMP), "lines": [1, 13], "starts": [1, 4, 8, 11]}) + "\n")
    seg = json.loads(cli("eval", "segments", str(cases), "--json").stdout)
    assert set(seg) >= {"precision", "recall", "f1", "cases"} and seg["boundaries"] == 3
    note = tmp_path / "note.txt"  # a file ft add keeps whole is measured whole
    note.write_text("Meeting notes\n\nThe classifier is at 0.81.\n\nNext: relabel billing.\n")
    cases.write_text(json.dumps({"file": str(note), "lines": [1, 5], "starts": [1, 3, 5]}) + "\n")
    (case,) = json.loads(cli("eval", "segments", str(cases), "--json").stdout)["cases"]
    assert case["read_as"] == "text" and case["missed"] == [3, 5] and case["extra"] == []


def test_ask_answers_from_unpunctuated_captions_with_the_turn_after_the_question(ft_home, embedder, tmp_path):
    talk = tmp_path / "bakery.txt"
    talk.write_text("Transcript\nkQ3vB8nR2xw • Running a bakery, with Ines Varga\nKind: captions\nLanguage: en\n" + "\n".join([
        ">> welcome back today i'm talking with ines varga who runs a bakery in porto", ">> thanks for having me",
        ">> so who buys most of your bread", ">> mostly small cafes near the harbour they take about four hundred",
        "loaves every morning and the rest goes to people on the street", ">> and when do you start baking",
        ">> at half past two in the morning the ovens need an hour to warm up"]) + "\n")
    with ft.Library(ft_home, embedder=embedder) as lib:
        lib.add_any([str(talk)])
        reading = answer(lib, "Who are the bakery's main customers?", Filters())
        text, (note,) = reading.sentences[0]
        assert "small cafes near the harbour" in text
        assert " ".join(lib.get(note.item_id).text[note.start:note.end].split()) == text  # the citation is the span


def test_a_full_stop_inside_a_number_or_link_ends_no_unit():
    text = "Q8_0 uses 8.5 bits per weight. Today it costs $0.50. See t.co/abc now!"
    assert [text[a:b] for a, b in units(text)] == ["Q8_0 uses 8.5 bits per weight.", "Today it costs $0.50.",
                                                     "See t.co/abc now!"]


def test_a_runner_up_next_to_the_best_unit_grows_its_passage_to_the_fact():
    """In a conversation the question's words and the fact are often a few turns apart: the best
    unit's passage stops at ``PASSAGE_WORDS``, and a close runner-up just after it carries the
    passage on to the fact instead of being dropped as a near duplicate."""
    turns = ["did you actually bet on the olympiad then",
             "i did i was so sure no model would get gold this decade that i bet with an old friend from "
             "edinburgh and honestly i would have bet against it again last spring",
             "and i lost so now i owe rory a bottle of whisky", "anyway back to robots"]
    (passage,) = _passages(_conversation(turns, [1.0, 0.9, 0.3, 0.1]), passages=2)
    assert passage.note().text.startswith("did you actually bet") and "bottle of whisky" in passage.note().text


def test_a_passage_reads_on_to_the_turn_that_holds_what_the_question_asks_for():
    """"How much memory did it have?" is answered by a number and "which law …" by a law: when
    the passage the question's words chose holds neither, it goes on to the first turn after it
    that does; a question that names no such thing keeps its passage as it was."""
    turns = ["he brought home a computer when i was nine it was a secondhand zx spectrum that a colleague had "
             "brought back from london with the rubber keys you remember the rubber keys do you",
             "i've only seen pictures i'm too young sorry",
             "oh come on okay so the zx spectrum had 48 kilobytes of memory and you loaded programs from tape",
             "and it is goodhart's law really the tape became the target", "anyway back to robots"]
    scores = [1.0, 0.2, 0.3, 0.1, 0.1]

    def passage(question: str) -> str:
        (found,) = _passages(_conversation(turns, scores), passages=2, asked=_asked_for(question))
        return found.note().text

    assert passage("how much memory did Ife's childhood home computer have").endswith("loaded programs from tape")
    assert passage("Which law did the guest bring up about tapes?").endswith("the tape became the target")
    assert "48 kilobytes" not in passage("What did the guest bring home?")


def _conversation(turns: list[str], scores: list[float]) -> list[Candidate]:
    """One caption item of ``turns``, one line each, as scored answer candidates."""
    source, spans = "", []
    for turn in turns:
        spans.append((len(source), len(source) + len(turn)))
        source += turn + "\n"
    return [Candidate(1, 0, a, b, source[a:b], [], source, spans, i, score, meaning=0.5)
            for i, ((a, b), score) in enumerate(zip(spans, scores))]


def test_an_answer_at_the_end_of_a_split_post_reads_on_into_the_next_post_of_its_dump(ft_home, embedder):
    """Post boundaries in a dump are guessed: when the passage that answers runs to the end of its
    post, it goes on into the next post of the same file, cited there, and not into other items."""
    posts = ["We rewrote our eval harness in Rust.", "Before: 41 minutes for the full suite.\nAfter: 3 minutes 10 seconds.",
             "Sourdough starters like a warm kitchen."]
    with ft.Library(ft_home, embedder=embedder) as lib:
        for position, text in enumerate(posts):
            lib.add(Record("x", f"dump.txt#{position + 1}:{position}", title=text.split("\n")[0], text=text,
                           kind="post", meta={"file": "dump.txt", "position": position}))
        lib.add(Record("notes", "rust.md", title="Rust", text="Rust is a programming language.", kind="note"))
        reading = answer(lib, "After porting the eval harness to Rust, how long did the suite take?", Filters())
    cited = [(text, notes[0].item_id) for text, notes in reading.sentences]
    first, after = cited[0], cited[1]
    assert first[0] == posts[0] and after[0] == " ".join(posts[1].split()) and after[1] == first[1] + 1
    with ft.Library(ft_home, embedder=embedder) as lib:  # a post that holds the figure asked for is the whole answer
        reading = answer(lib, "How many minutes did the full suite take, before and after?", Filters())
    assert [text for text, _ in reading.sentences][0] == " ".join(posts[1].split())
    assert posts[2] not in reading.text
