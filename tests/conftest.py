"""Shared fixtures: every test gets its own FT_HOME, and a fresh library in it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ft
from ft.cli import app

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
DEMO = Path(__file__).resolve().parents[1] / "demo" / "library"


@pytest.fixture(autouse=True)
def ft_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "ft-home"
    monkeypatch.setenv("FT_HOME", str(home))
    return home


@pytest.fixture
def lib(ft_home: Path):
    with ft.Library(ft_home) as library:
        yield library


@pytest.fixture
def samples() -> Path:
    """The shared sample captures; tests that need them skip in a clone without ../shared."""
    if not SHARED.is_dir():
        pytest.skip("../shared/samples is not present")
    return SHARED


@pytest.fixture
def cli():
    """Run the ft command in-process: ``cli("search", "x")`` returns click's Result."""
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


# -- models (shared by a whole session: loading and assembling cost seconds) --------

@pytest.fixture(scope="session")
def model_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models-home")


@pytest.fixture(scope="session")
def gemma_path(model_home: Path) -> Path:
    """The shipped Gemma, after the engine check: a llama.cpp build that dies on this CPU fails the
    model tests with its one-line cause instead of killing the whole run with a signal."""
    from local_models.health import require_healthy
    from tests.engines import shipped

    path = shipped(model_home, "gemma3-270m")
    require_healthy(model_home, path)
    return path


@pytest.fixture(scope="session")
def local_engine(gemma_path: Path, model_home: Path):
    from local_models.llama_engine import LlamaEngine

    with LlamaEngine(gemma_path, n_ctx=2048, cache_dir=model_home / "cache", model_id="gemma3-270m",
                     family="gemma3", instruct=False) as engine:
        yield engine


@pytest.fixture(scope="session")
def remote_engine(gemma_path: Path, tmp_path_factory):
    from local_models.remote import RemoteEngine
    from tests.engines import start_server

    process, url = start_server(gemma_path, tmp_path_factory.mktemp("server") / "server.log")
    try:
        with RemoteEngine(url, n_ctx=2048) as engine:
            yield engine
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(params=["local", "remote"])
def engine(request):
    """Each engine test runs on llama.cpp in process and on llama_cpp.server over HTTP."""
    return request.getfixturevalue(f"{request.param}_engine")


# -- embeddings -----------------------------------------------------------------------

@pytest.fixture(scope="session")
def embedder(model_home):
    pytest.importorskip("onnxruntime")
    from npu.embedder import load_embedder

    return load_embedder(cache_dir=model_home / "models")


@pytest.fixture(scope="session")
def seed_models(embedder, model_home):
    """``seed_models(home)`` puts into ``home/models`` the int8 MiniLM the default embedder derives from
    the shipped model, hard-linked from the one the session's ``embedder`` built. Without it a new ft home
    builds its own, 10–30 s, the first time anything embeds there, in process or in a child ``ft``
    (``ft add`` too, for X dumps: the post splitter weighs meaning); the stress harness takes it from its
    workdir's ``models``. Returns ``home``."""
    built = embedder.path
    assert built.parent == model_home / "models", built

    def seed(home: Path) -> Path:
        (home / "models").mkdir(mode=0o700, parents=True, exist_ok=True)
        home.chmod(0o700)  # owner-only, as ft makes it: no permission warning
        (home / "models" / built.name).hardlink_to(built)
        return home

    return seed


@pytest.fixture
def models_in_ft_home(ft_home, seed_models) -> Path:
    """``ft_home`` with the embedder's derived model already there (see ``seed_models``)."""
    return seed_models(ft_home)


@pytest.fixture(scope="session")
def demo_library(tmp_path_factory, embedder, seed_models):
    """The demo library, imported and embedded once per session (read-only for tests); the embedder's
    int8 model is in its models folder, so a command run with it as FT_HOME does not build one."""
    home = seed_models(tmp_path_factory.mktemp("demo-home"))
    with ft.Library(home, embedder=embedder) as library:
        library.import_path(DEMO)
        library.embed()
    return home


@pytest.fixture(scope="session")
def demo_copy(demo_library, gemma_path, model_home, tmp_path_factory):
    """Make a writable copy of the demo library: ``demo_copy("name")`` returns its home. Its
    models folder is the session's, where Gemma is assembled and the int8 embedder built once."""

    def copy(name: str) -> Path:
        home = tmp_path_factory.mktemp(name) / "home"
        shutil.copytree(demo_library, home, ignore=shutil.ignore_patterns("models"))  # the session's, below
        (home / "models").symlink_to(model_home / "models", target_is_directory=True)
        return home

    return copy

