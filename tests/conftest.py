"""Shared fixtures: every test gets its own FT_HOME, and a fresh library in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import ft
from ft.cli import app

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
DEMO = Path(__file__).resolve().parents[1] / "demo"


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
