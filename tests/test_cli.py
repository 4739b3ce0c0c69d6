"""The ft command: exit codes, one-line errors, JSON output, and the acceptance paths."""

from __future__ import annotations

import json
import sys

import pytest
import typer

from ft.cli import EXIT_PARTIAL, app


def test_add_twice_then_search_and_show(cli, tmp_path):
    note = tmp_path / "wal.md"
    note.write_text("# Write-ahead logging\n\nReaders keep a snapshot while the writer appends.")
    first = cli("add", str(note))
    assert first.exit_code == 0
    assert first.output.strip() == "1 added, 0 updated, 0 unchanged from 1 files"
    assert cli("add", str(note)).output.strip() == "0 added, 0 updated, 1 unchanged from 1 files"
    hits = json.loads(cli("search", "snapshot", "--json").stdout)
    assert [h["title"] for h in hits] == ["Write-ahead logging"]
    shown = cli("show", str(hits[0]["id"]))
    assert "Readers keep a snapshot" in shown.output
    assert json.loads(cli("show", str(hits[0]["id"]), "--json").stdout)["links"] == []


def test_folder_with_bad_files_imports_the_rest_and_exits_partial(cli, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "good.md").write_text("# Good note\n\nfine content")
    (folder / "cut.json").write_text('[{"title": "a", "text": "b"}, {"title"')
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    result = cli("add", str(folder))
    assert result.exit_code == EXIT_PARTIAL
    problems = [line for line in result.stderr.splitlines() if line.startswith("✗")]
    assert len(problems) == 2
    assert any("cut.json: invalid JSON" in line for line in problems)
    assert any("binary.txt: not a text file" in line for line in problems)
    assert "1 added" in result.stdout
    assert [i["title"] for i in json.loads(cli("list", "--json").stdout)] == ["Good note"]


def test_only_bad_files_exit_1_and_missing_path_is_named(cli, tmp_path):
    (tmp_path / "b.txt").write_bytes(b"\x00\x01" * 10)
    result = cli("add", str(tmp_path / "b.txt"), str(tmp_path / "nope.md"))
    assert result.exit_code == 1
    assert "nope.md: no such file or folder" in result.stderr


def test_search_syntax_error_is_one_line(cli, tmp_path):
    result = cli("search", "decoding AND")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot search for 'decoding AND'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_date_and_missing_item_are_one_line_errors(cli):
    assert cli("list", "--since", "yesterday").stderr.strip().startswith("Error: cannot read the date 'yesterday'")
    missing = cli("show", "99")
    assert missing.exit_code == 1 and "no item 99" in missing.stderr


def test_list_filters_and_json(cli, tmp_path):
    items = [
        {"source": "x", "title": "old post", "text": "a", "author": "ann", "created_at": "2024-01-01T00:00:00Z"},
        {"source": "x", "title": "new post", "text": "b", "author": "bo", "created_at": "2025-05-01T00:00:00Z"},
        {"source": "blog", "title": "entry", "text": "c", "created_at": "2025-06-01T00:00:00Z"},
    ]
    (tmp_path / "items.json").write_text(json.dumps(items))
    assert cli("add", str(tmp_path / "items.json")).exit_code == 0
    titles = lambda *args: [i["title"] for i in json.loads(cli("list", "--json", *args).stdout)]  # noqa: E731
    assert titles() == ["entry", "new post", "old post"]
    assert titles("--source", "x") == ["new post", "old post"]
    assert titles("--author", "@ann") == ["old post"]
    assert titles("--since", "2025-01-01", "--until", "2025-05-15") == ["new post"]
    assert titles("-n", "1") == ["entry"]


def test_list_json_round_trips_into_another_library(cli, tmp_path):
    (tmp_path / "n.md").write_text("# Carried over\n\nsome text")
    cli("add", str(tmp_path / "n.md"))
    (tmp_path / "export.json").write_text(cli("list", "--json").output)
    other = tmp_path / "other"
    assert cli("--home", str(other), "add", str(tmp_path / "export.json")).exit_code == 0
    copied = json.loads(cli("--home", str(other), "list", "--json").stdout)
    assert [(i["title"], i["source"]) for i in copied] == [("Carried over", "notes")]


def test_stats_json(cli, tmp_path):
    (tmp_path / "n.md").write_text("# A\n\nb")
    cli("add", str(tmp_path / "n.md"))
    figures = json.loads(cli("stats", "--json").stdout)
    assert figures["items"] == 1 and figures["by_source"] == {"notes": 1}


def test_doctor_names_database_python_and_versions(cli, ft_home, tmp_path):
    (tmp_path / "n.md").write_text("# A\n\nb")
    cli("add", str(tmp_path / "n.md"))
    result = cli("doctor")
    assert result.exit_code == 0
    assert str(ft_home / "library.db") in result.output
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in result.output
    assert "sqlite-utils" in result.output and "FTS5 yes" in result.output
    checks = json.loads(cli("doctor", "--json").stdout)
    names = {c["name"]: c for c in checks}
    assert names["database"]["ok"] and names["sqlite"]["ok"]
    missing = [c for c in checks if not c["ok"]]
    if missing:  # whatever is missing here is said plainly, with the fix
        assert "missing" in result.output and all(c["fix"] for c in missing)


def test_every_command_has_help_and_is_in_the_readme(cli):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert command.help, f"ft {name} has no help"
        assert cli(name, "--help").exit_code == 0
        assert f"ft {name}" in readme, f"ft {name} is not in the README"


@pytest.mark.parametrize("name", ["001_ca43430d3574a24c.txt"])
def test_telegram_sample_posts_and_npu_search(cli, samples, name):
    result = cli("add", str(samples / name))
    assert result.exit_code == 0
    items = json.loads(cli("list", "--json", "-n", "100").stdout)
    assert 10 <= len(items) <= 14
    assert all(i["source"] == "telegram" for i in items)
    titles = {i["title"] for i in items}
    assert "921: NPUs vs GPUs vs CPUs for Local AI Workloads — with Dell’s Ish Shah and Shirish Gupta" in titles
    assert "Richard Sutton – Father of RL thinks LLMs are a dead end" in titles
    assert cli("add", str(samples / name)).output.startswith("0 added")
    hits = json.loads(cli("search", "NPU", "--json").stdout)
    assert hits[0]["title"].startswith("921: NPUs vs GPUs vs CPUs")


@pytest.mark.usefixtures("models_in_ft_home")
def test_blog_and_tweet_samples(cli, samples):
    assert cli("add", str(samples / "004_a800951352b27bfe.txt"), str(samples / "000_8af6bee434e1e1d8.txt")).exit_code == 0
    blog = json.loads(cli("list", "--json", "--source", "blog", "-n", "100").stdout)
    assert 14 <= len(blog) <= 25
    assert {"A Primer on Post-Training", "Scaling RL Compute", "Darwin Gödel Machines"} <= {i["title"] for i in blog}
    posts = json.loads(cli("list", "--json", "--source", "x", "-n", "100").stdout)
    assert 12 <= len(posts) <= 24 and any("fieldtheory" in p["text"] for p in posts)
