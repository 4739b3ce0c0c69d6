"""The vector matrix saved beside the library: reused by new processes, never stale."""

from __future__ import annotations

import os

import numpy as np
import pytest

import ft
import index.vectors as vectors
from index import Record
from benchmarks.storage import store_random_vectors
from index.vectors import VectorIndex


class Model:
    """Only the id and dimension matter: the vectors are written straight into the table."""

    model_id, dim = "test-model", 16


@pytest.fixture
def library(ft_home, monkeypatch):
    monkeypatch.setattr(vectors, "SAVE_FROM", 50)  # save from 50 rows instead of 20,000
    with ft.Library(ft_home) as lib:
        lib.add(Record("synthetic", str(n), title=f"item {n}", text=f"text {n}") for n in range(200))
        store_random_vectors(lib.db, Model, 200)
        yield lib


def state(lib) -> tuple[int, int]:
    return tuple(lib.db.execute("SELECT generation, rows FROM vector_state WHERE model = ?", (Model.model_id,)).fetchone())


def test_triggers_count_every_change(library):
    generation, rows = state(library)
    assert rows == 200 and generation == 200
    library.db.execute("UPDATE embeddings SET scale = scale WHERE chunk_id = 1")
    library.db.execute("DELETE FROM embeddings WHERE chunk_id = 2")
    assert state(library) == (202, 199)


def test_a_new_process_maps_the_saved_matrix_and_finds_the_same(library):
    built = VectorIndex(library.db, Model.model_id)
    query = np.random.default_rng(1).normal(size=Model.dim).astype(np.float32)
    expected = built.search(query, 5)
    folder = library.path.with_suffix(".vectors")
    (saved,) = folder.iterdir()
    assert oct(os.stat(folder).st_mode & 0o777) == "0o700"
    assert {oct(os.stat(f).st_mode & 0o777) for f in saved.iterdir()} == {"0o600"}
    reopened = VectorIndex(library.db, Model.model_id)
    assert reopened.search(query, 5) == expected
    assert isinstance(reopened.matrix, np.memmap)  # mapped, not rebuilt


def test_a_change_in_another_connection_makes_the_saved_copy_stale(library):
    index = VectorIndex(library.db, Model.model_id)
    middle = len(index) // 2  # loads the matrix
    query = np.array(index.matrix[middle])
    (hit,) = index.search(query, 1)
    with ft.Library(library.path) as other:  # another writer deletes the best match's item
        other.delete(hit.item_id)
    again = index.search(query, 3)
    assert hit.item_id not in {h.item_id for h in again} and len(index) == 199
    (saved,) = library.path.with_suffix(".vectors").iterdir()  # the old copy is gone
    assert saved.name.endswith(f"-{state(library)[0]}-199")
