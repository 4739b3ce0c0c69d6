"""``ft schedule``: the timer written into a temporary config home, and the command it schedules run
end to end against a local feed server; a failing step is one log line and the run goes on."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import Handler, serving

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Kernel notes</title>
<item><title>Tiling a matmul</title><link>https://kernels.example/tiling</link><guid>k1</guid>
<description>Shared memory tiles cut global reads by the tile width.</description>
<pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate></item>
<item><title>Fusing softmax</title><link>https://kernels.example/softmax</link><guid>k2</guid>
<description>One pass computes the max, the sum of exponentials and the output.</description>
<pubDate>Tue, 07 Jan 2025 10:00:00 GMT</pubDate></item></channel></rss>"""


class Feed(Handler):
    def do_GET(self) -> None:
        if self.path == "/rss.xml":
            self.reply(200, RSS.encode(), "application/rss+xml")
        else:
            self.reply(404)


@pytest.fixture
def env(tmp_path: Path, ft_home: Path) -> dict[str, str]:
    return {**os.environ, "FT_HOME": str(ft_home), "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}


def ft(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "ft.cli", *args], capture_output=True, text=True, env=env, timeout=900)
    assert not check or done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.usefixtures("models_in_ft_home")
def test_systemd_timer_runs_sync_and_embed_end_to_end(env: dict[str, str], ft_home: Path, tmp_path: Path):
    (ft_home / "config.json").write_text(json.dumps({"network": {"allow_hosts": ["127.0.0.1"]}}))
    installed = json.loads(ft(env, "schedule", "install", "--every", "6h", "--via", "systemd", "--json").stdout)
    units = tmp_path / "config" / "systemd" / "user"
    assert installed["files"] == [str(units / "ft-sync.service"), str(units / "ft-sync.timer")]
    assert "OnUnitActiveSec=6h" in (units / "ft-sync.timer").read_text()
    exec_start = next(line for line in (units / "ft-sync.service").read_text().splitlines()
                      if line.startswith("ExecStart="))
    command = shlex.split(exec_start.removeprefix("ExecStart="))
    assert command[-2:] == ["schedule", "run"] and str(ft_home.resolve()) in command

    with serving(Feed) as httpd:
        ft(env, "feeds", "add", f"http://127.0.0.1:{httpd.server_port}/rss.xml")
        first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert first.returncode == 0, first.stderr
    log = (ft_home / "logs" / "schedule.log").read_text().splitlines()
    assert [line.split(" ", 2)[1] for line in log] == ["sync:", "embed:"] and all(" ok" in line for line in log)
    listed = json.loads(ft(env, "list", "--json", "--source", "feed").stdout)
    assert {i["title"] for i in listed} == {"Tiling a matmul", "Fusing softmax"}
    hits = json.loads(ft(env, "search", "reading fewer bytes from global memory", "--mode", "semantic", "--json").stdout)
    assert hits and hits[0]["title"] == "Tiling a matmul"  # embedded by the scheduled run

    # the server is gone: the sync step fails in one line, the embed step still runs, and so will the next run
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert second.returncode == 1
    log = (ft_home / "logs" / "schedule.log").read_text().splitlines()[2:]
    assert len(log) == 2 and "sync: failed (" in log[0] and "embed: ok" in log[1]
    status = json.loads(ft(env, "schedule", "status", "--json").stdout)
    assert status["systemd"] == installed["files"] and len(status["last"]) == 4
    ft(env, "schedule", "remove")
    assert not units.joinpath("ft-sync.timer").exists()


def test_cron_line_replaces_its_own_and_keeps_the_users(env: dict[str, str], tmp_path: Path):
    # A stand-in for the system's crontab command (not what is tested): it keeps the table in a file.
    table = tmp_path / "crontab.txt"
    table.write_text("15 4 * * * backup-my-photos\n")
    (tmp_path / "bin").mkdir()
    fake = tmp_path / "bin" / "crontab"
    fake.write_text(f"#!/bin/sh\nif [ \"$1\" = -l ]; then cat {table}; else cat > {table}; fi\n")
    fake.chmod(0o755)
    ft(env, "schedule", "install", "--every", "30m", "--via", "cron")
    ft(env, "schedule", "install", "--every", "2h", "--via", "cron")
    lines = table.read_text().splitlines()
    assert lines[0] == "15 4 * * * backup-my-photos"
    assert len(lines) == 2 and lines[1].startswith("0 */2 * * * ") and lines[1].endswith("schedule run # ft-sync")
    ft(env, "schedule", "remove")
    assert table.read_text().splitlines() == ["15 4 * * * backup-my-photos"]


def test_a_bad_interval_is_one_line(env: dict[str, str]):
    done = ft(env, "schedule", "install", "--every", "often", check=False)
    assert done.returncode == 1 and done.stderr.strip() == "Error: --every takes a span like 30m, 6h or 1d, not 'often'"
