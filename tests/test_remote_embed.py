"""Embeddings from a server: ``llama_cpp.server --embedding true`` serving a shipped GGUF for
``ft embed --model URL``, search and resuming; a recording stdlib server for batching, the bound
on requests in flight, retries and the one-line error."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import ft
from ft.core.errors import BackendUnavailable, ModelError
from index import Record
from index.embed import vector_counts
from local_models.remote_embedder import RemoteEmbedder
from tests.servers import Handler, serving

DEMO_NOTES = Path(__file__).resolve().parents[1] / "demo" / "library" / "notes"


# -- a recording server ----------------------------------------------------------------

class Script:
    """What the recording server answers, and what it was sent."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.batches: list[list[str]] = []  # the inputs of each answered embeddings request
        self.failures: list[int] = []  # statuses to answer the next embeddings requests with
        self.answers_left: int | None = None  # then 503 for good: a server that went away
        self.per_token = False  # answer a vector per token (two), as a server that does not pool
        self.in_flight = 0
        self.most_in_flight = 0
        self.attempts = 0

    def texts(self) -> list[str]:
        return [text for batch in self.batches for text in batch]


def hashed_vector(text: str) -> np.ndarray:
    """The recording server's vector for ``text``: 16 numbers from its hash, so rows can be told apart."""
    return np.frombuffer(hashlib.sha256(text.encode()).digest()[:16], dtype=np.int8).astype(np.float32)


def recording_server(script: Script):
    class Recording(Handler):
        def do_GET(self) -> None:
            if self.path == "/v1/models":
                self.reply(200, json.dumps({"data": [{"id": "recorded-embedder"}]}).encode(), "application/json")
            else:
                self.reply(404)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            with script.lock:
                script.attempts += 1
                script.in_flight += 1
                script.most_in_flight = max(script.most_in_flight, script.in_flight)
                status = script.failures.pop(0) if script.failures else 200
                if status == 200 and script.answers_left is not None:
                    status = 200 if script.answers_left > 0 else 503
                    script.answers_left -= 1
            try:
                time.sleep(0.02)  # long enough for parallel requests to overlap
                if status != 200:
                    self.send_response(status)
                    self.send_header("retry-after", "0")
                    error = json.dumps({"error": {"message": f"the GPU is busy ({status})"}}).encode()
                    self.send_header("content-length", str(len(error)))
                    self.end_headers()
                    self.wfile.write(error)
                    return
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                with script.lock:
                    script.batches.append(texts)
                vectors = [hashed_vector(t) for t in texts]
                if script.per_token:
                    vectors = [np.stack([v, v + 4]) for v in vectors]
                data = [{"index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]
                data.reverse()  # rows may come in any order: the index says whose they are
                self.reply(200, json.dumps({"model": body.get("model"), "data": data}).encode(), "application/json")
            finally:
                with script.lock:
                    script.in_flight -= 1

    return serving(Recording)


@pytest.fixture
def recorder():
    script = Script()
    with recording_server(script) as httpd:
        yield script, f"http://127.0.0.1:{httpd.server_address[1]}"


def test_batches_are_bounded_and_rows_keep_their_order(recorder):
    script, url = recorder
    texts = [f"note number {i} about sourdough" for i in range(30)]
    with RemoteEmbedder(url + "/v1", batch=4, parallel=3, backoff=0.01) as embedder:
        vectors = embedder.embed(texts)
    expected = np.stack([hashed_vector(t) for t in texts])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert embedder.model_id == "127.0.0.1/recorded-embedder" and embedder.dim == 16
    assert np.allclose(vectors, expected, atol=1e-6)
    assert sorted(script.texts()[1:]) == sorted(texts)  # after the probe, each text sent once
    assert max(len(batch) for batch in script.batches) == 4
    assert script.most_in_flight <= 3


def test_chunks_are_cut_as_the_local_model_cuts_them(recorder, embedder):
    """A library's chunks serve every model: a server's are counted by the shipped tokenizer too."""
    _, url = recorder
    texts = [(DEMO_NOTES / "sourdough-starter.md").read_text(), "a sourdough starter", "Utrecht's OV-fiets"]
    with RemoteEmbedder(url) as remote:
        assert remote.count_tokens(texts) == embedder.count_tokens(texts)


def test_vectors_per_token_are_averaged_and_asked_for_one_text_at_a_time(recorder):
    script, url = recorder
    script.per_token = True
    texts = ["a note", "another note", "a third"]
    with RemoteEmbedder(url, batch=8) as embedder:
        vectors = embedder.embed(texts)
    expected = np.stack([hashed_vector(t) + 2 for t in texts])
    assert np.allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True), atol=1e-6)
    assert embedder.batch == 1 and [len(batch) for batch in script.batches] == [1, 1, 1, 1]


def test_server_errors_and_overload_are_retried(recorder):
    script, url = recorder
    script.failures = [500, 429, 503]
    with RemoteEmbedder(url, backoff=0.01) as embedder:
        vectors = embedder.embed(["a note", "another note"])
    assert vectors.shape == (2, 16)
    assert script.attempts == 1 + 4  # the probe, three failures, one answer
    assert script.batches[-1] == ["a note", "another note"]


def test_a_server_that_keeps_failing_is_one_line_naming_it(recorder, cli):
    script, url = recorder
    script.failures = [500] * 10
    result = cli("embed", "--model", url)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert url in lines[0] and "HTTP 500" in lines[0] and "the GPU is busy (500)" in lines[0] and "4 tries" in lines[0]
    assert script.attempts == 4


def test_a_server_that_is_not_there_is_named():
    from tests.engines import free_port

    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(BackendUnavailable, match=f"cannot reach the embedding server at {url}"):
        RemoteEmbedder(url, attempts=2, backoff=0.01)


def test_a_run_cut_off_by_a_dying_server_resumes_with_what_is_missing(recorder, ft_home):
    """Answers are stored a window of requests in flight at a time (8 texts x 2 requests here): the
    server goes away during the third window, and the next run sends only what has no vector."""
    script, url = recorder
    _write_config(ft_home, url, batch=8, parallel=2)
    with ft.Library(ft_home) as lib:
        lib.add([Record("t", str(i), title=f"Note {i}", text=f"Short note {i} on bread.") for i in range(40)])
        script.answers_left = 1 + 4  # the probe, then two windows
        with pytest.raises(ModelError, match=url):
            lib.embed()
        assert lib.vector_count() == 32
        script.answers_left, script.batches = None, []
        report = lib.embed()
        assert (report.embedded, report.chunks, lib.vector_count()) == (8, 40, 40)
        assert len(script.texts()) == 8


def test_bench_embed_measures_a_server_beside_the_local_model(recorder, embedder, model_home, tmp_path):
    from tests.test_bench import bench

    _, url = recorder
    document = bench(model_home, tmp_path, "embed", "--model", url, "--texts", "12", "--rounds", "1")
    figures = {figure["name"]: figure for figure in document["figures"]}
    parallel = figures["server, 4 requests in flight"]
    assert parallel["baseline"] == "server, 1 request in flight" and parallel["unit"] == "texts/s"
    assert parallel["ratio"] == pytest.approx(parallel["value"] / parallel["baseline_value"])
    assert figures["ft onnx int8, in process"]["value"] > 0


def _write_config(home: Path, model: str, **embeddings: int) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text(json.dumps({"embeddings": {"model": model, **embeddings}}))


# -- llama_cpp.server with a shipped GGUF ----------------------------------------------------

@pytest.fixture(scope="module")
def embedding_server(tmp_path_factory):
    """The shipped SmolLM2-135M served with ``--embedding true``: a vector per token, pooled by ft.
    One thread: on a busy machine two spin against each other and embed many times slower."""
    from tests.engines import shipped, start_server

    model = shipped(tmp_path_factory.mktemp("models"), "smollm2-135m")
    process, url = start_server(model, tmp_path_factory.mktemp("embed-server") / "server.log",
                                "--embedding", "true", "--n_threads", "1")
    try:
        yield url, f"127.0.0.1/{model.name}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def demo_openings(tmp_path) -> Path:
    """The demo notes cut to their heading and first paragraph: the demo library, small enough
    for a 135M model on a busy CPU to embed in seconds."""
    folder = tmp_path / "openings"
    folder.mkdir()
    for note in sorted(DEMO_NOTES.glob("*.md")):
        (folder / note.name).write_text("\n\n".join(note.read_text().split("\n\n")[:2]) + "\n")
    return folder


def test_ft_embed_model_url_is_searched_by_the_server_and_local_vectors_are_kept(
        embedding_server, demo_openings, ft_home, cli, embedder):
    url, remote_id = embedding_server
    assert cli("add", str(demo_openings)).exit_code == 0

    result = cli("embed", "--model", url, "--json")
    report = json.loads(result.stdout)
    notes = len(list(demo_openings.iterdir()))
    assert report["model"] == remote_id and report["embedded"] == report["chunks"] == notes
    assert "search uses minilm-int8" in result.stderr

    _write_config(ft_home, url)
    assert json.loads(cli("embed", "--json").stdout)["embedded"] == 0  # the same model: nothing to do
    with ft.Library(ft_home) as lib:
        item_id, title, text = lib.db.execute(
            "SELECT id, title, text FROM items WHERE title LIKE '%ourdough%'").fetchone()
    found = json.loads(cli("search", f"{title}\n{text}", "--mode", "semantic", "--json").stdout)
    assert found[0]["id"] == item_id  # the query went to the server too: the same text, the same vector

    _write_config(ft_home, "minilm-int8")
    with ft.Library(ft_home, embedder=embedder) as lib:
        local = lib.embed()
        assert local.embedded == notes and local.other_models == {remote_id: notes}
        assert vector_counts(lib.db) == {remote_id: notes, embedder.model_id: notes}
        hits = lib.search("feeding a sourdough starter", mode="semantic")
        assert hits[0].item.id == item_id


def test_an_interrupted_server_run_resumes(embedding_server, ft_home):
    """Ctrl-C after the first window of answers is stored: 2 requests of one text each (the server
    sends vectors per token, so it is asked one text at a time, and the window shrinks with it;
    with the default 32 x 4 the demo library's 123 chunks were one window, and a run stopped
    after 90 s had stored nothing). The next run embeds only the rest, and each text's own words find it."""
    url, remote_id = embedding_server

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    _write_config(ft_home, url, batch=2, parallel=2)
    topics = ["sourdough hydration", "bicycle parking", "int4 quantization", "reciprocal rank fusion",
              "printing presses", "robot grippers", "tidal power", "chess openings", "beekeeping", "glacier retreat"]
    with ft.Library(ft_home) as lib:
        lib.add([Record("t", topic, title="", text=f"A short note on {topic}.") for topic in topics])
        with pytest.raises(KeyboardInterrupt):
            lib.embed(interrupt)
        assert lib.vector_count() == 2
        report = lib.embed()
        assert (report.model, report.embedded, lib.vector_count()) == (remote_id, 8, 10)
        assert lib.search("A short note on beekeeping.", mode="semantic")[0].item.text == "A short note on beekeeping."
