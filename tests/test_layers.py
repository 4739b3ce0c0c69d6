"""The layout stays true: imports go one way down the layers, and SQL stays inside ``index/``.

The layers are import-linter contracts in ``pyproject.toml``. The checker is also run on
the real import graph with one of the back-imports the layout removed put back, to show
the contracts would catch it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import grimp
import pytest
from importlinter import configuration
from importlinter.application.use_cases import lint_imports

ROOT = Path(__file__).resolve().parent.parent
CONFIG = str(ROOT / "pyproject.toml")
PACKAGES = ("ft", "local_models", "npu", "tui")  # everything but index/, where SQL belongs
# SQL keywords as ft writes them (upper case), and any statement run on a connection.
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE FROM|CREATE (VIRTUAL )?(TABLE|INDEX)|PRAGMA)\b|\.execute(many|script)?\(")
NOT_OURS = {
    "ft/sources/browser_bookmarks.py",  # reads Firefox's places.sqlite: a source format, not the library
    "ft/doctor.py",  # probes SQLite's build (FTS5, journal mode) on a scratch connection
}


def _lint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *extra: tuple[str, str]) -> bool:
    """Whether the contracts hold on the project's graph with ``extra`` (importer, imported) edges added."""
    monkeypatch.chdir(ROOT)
    build = grimp.build_graph

    def with_extra(*args, **kwargs):
        graph = build(*args, **kwargs)
        for importer, imported in extra:
            graph.add_import(importer=importer, imported=imported)
        return graph

    monkeypatch.setattr(grimp, "build_graph", with_extra)
    configuration.configure()  # what the lint-imports command does first: the graph builder, readers, printer
    return lint_imports(config_filename=CONFIG, cache_dir=str(tmp_path), no_logo=True)


def test_imports_follow_the_layers(monkeypatch, tmp_path):
    assert _lint(monkeypatch, tmp_path), "an import goes against the layers: run `lint-imports` to see which"


@pytest.mark.parametrize("back_import", [
    ("index.embed", "npu.embedder"),  # the store loading a model (index/embedders.py → npu)
    ("index.store", "ft.library"),  # the store reaching the facade (index/benchmark.py → ft.Library)
    ("npu.providers", "local_models.engine"),  # the npu.genai ↔ local_models cycle
    ("local_models.registry", "ft.core.config"),  # a model reading config.json itself
    ("ft.tasks.classify", "ft.cli.app"),  # a task reaching into the command line
])
def test_a_back_import_breaks_the_layers(monkeypatch, tmp_path, back_import):
    assert not _lint(monkeypatch, tmp_path, back_import)


def _code_lines(path: Path):
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.lstrip().startswith("#"):
            yield number, line


def test_no_sql_outside_index():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             if str(path.relative_to(ROOT)) not in NOT_OURS
             for number, line in _code_lines(path) if SQL.search(line)]
    assert not found, "SQL belongs in index/, behind a named function:\n" + "\n".join(found)


def test_no_library_privates_outside_the_library():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for package in (*PACKAGES, "index", "benchmarks") for path in sorted((ROOT / package).rglob("*.py"))
             if path != ROOT / "ft" / "library.py"
             for number, line in _code_lines(path) if re.search(r"\blib\._\w", line)]
    assert not found, "use the Library's public methods:\n" + "\n".join(found)


def test_a_command_reads_config_json_once(cli, ft_home, tmp_path, monkeypatch):
    """``ft label`` needs a taxonomy from config.json and the library: one read serves both."""
    from ft.core.settings import Settings

    ft_home.mkdir(mode=0o700, parents=True)
    (ft_home / "config.json").write_text(json.dumps({"taxonomies": {"topic": {"a": "about a", "b": "about b"}}}))
    note = tmp_path / "note.md"
    note.write_text("# A note\n\nabout a\n")
    assert cli("add", str(note)).exit_code == 0
    parse = Settings.from_dict.__func__
    reads = []
    monkeypatch.setattr(Settings, "from_dict", classmethod(lambda cls, home, data: reads.append(home) or parse(cls, home, data)))
    assert cli("label", "1", "a").exit_code == 0
    assert reads == [ft_home]
