"""Crash safety and concurrency through the same harness as ``make stress``, with fewer rounds."""

from __future__ import annotations

import shutil

import pytest

from benchmarks import concurrency, crash


@pytest.mark.parametrize("command", ["import", "sync-x", "embed", "classify"])
def test_a_killed_command_loses_nothing_and_resumes(command, tmp_path, seed_models):
    if command == "sync-x" and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (make installs it)")
    seed_models(tmp_path)  # where the harness keeps the embedder's files for every scenario (make stress builds them once)
    harness = crash.Harness(command, tmp_path, seed=3)
    figure = harness.run(rounds=2)
    assert figure.problems == []
    assert (figure.lost, figure.duplicates, figure.resumed, figure.integrity_ok) == (0, 0, 2, 2)
    assert harness.expected > harness.before  # the command did store something new


def test_integrity_check_sees_a_damaged_file(tmp_path, embedder):
    """The harness's own check can fail: a file with a page overwritten is not "ok"."""
    import ft

    with ft.Library(tmp_path / "home", embedder=embedder) as lib:  # the session's: importing X dumps embeds
        lib.import_path(crash.DEMO)
    path = crash.database(tmp_path / "home")
    assert crash.integrity(path) == "ok"
    data = bytearray(path.read_bytes())
    data[4096 * 3: 4096 * 3 + 200] = b"\xff" * 200
    path.write_bytes(bytes(data))
    assert crash.integrity(path) != "ok"


def test_writer_and_readers_never_see_a_locked_database(tmp_path, seed_models):
    roles = concurrency.run(8, seed_models(tmp_path))
    assert [r.name for r in roles][0].startswith("writer")
    for role in roles:
        assert (role.locked, role.errors) == (0, 0), role
        assert role.ops > 0, role
