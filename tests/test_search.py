"""Keyword search: ranking, query handling, filters."""

from __future__ import annotations

import pytest

import ft
from index import Record


@pytest.fixture
def filled(lib):
    lib.add([
        Record("t", "1", title="Speculative decoding explained", text="How drafts are verified.",
               created_at="2025-01-10T00:00:00Z", author="alice"),
        Record("t", "2", title="A note on caching", text="Speculative decoding and speculative execution in CPUs.",
               created_at="2025-06-10T00:00:00Z", author="bob"),
        Record("u", "3", title="Sourdough", text="Feed the starter; C++ bakers don't exist.",
               created_at="2024-03-01T00:00:00Z", author="alice"),
    ])
    return lib


def test_title_match_ranks_above_text_match(filled):
    hits = filled.search("speculative decoding")
    assert [h.item.source_id for h in hits] == ["1", "2"]
    assert hits[0].score > hits[1].score
    assert "**" in hits[1].snippet


def test_punctuation_in_plain_queries_is_harmless(filled):
    assert [h.item.source_id for h in filled.search("C++ don't")] == ["3"]


def test_all_words_first_then_any_word(filled):
    assert [h.item.source_id for h in filled.search("sourdough drafts")] != []
    assert {h.item.source_id for h in filled.search("sourdough drafts")} == {"1", "3"}


def test_fts_syntax_passes_through(filled):
    assert [h.item.source_id for h in filled.search('"speculative execution"')] == ["2"]
    assert [h.item.source_id for h in filled.search("sour*")] == ["3"]


def test_syntax_error_is_a_search_error_naming_the_query(filled):
    with pytest.raises(ft.SearchError, match="cannot search for 'decoding AND'"):
        filled.search("decoding AND")


def test_filters_narrow_results(filled):
    assert [h.item.source_id for h in filled.search("speculative", author="bob")] == ["2"]
    assert [h.item.source_id for h in filled.search("speculative", since="2025-03-01T00:00:00Z")] == ["2"]
    assert [i.source_id for i in filled.items(source="u")] == ["3"]
    assert [i.source_id for i in filled.items(until="2025-01-01T00:00:00Z")] == ["3"]


def test_label_filter(filled):
    item = filled.items(source="u")[0]
    filled.db.execute("INSERT INTO labels (item_id, taxonomy, label, method) VALUES (?, 'topic', 'baking', 'user')", (item.id,))
    assert [i.id for i in filled.items(label="baking")] == [item.id]
    assert filled.get(item.id).labels == ["baking"]
