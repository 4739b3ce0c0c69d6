"""``ft sync x`` through Playwright and Debian's Chromium against a fake x.com on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import ft
from tests.fake_x import EXPECTED, LONG, FakeX, tweet

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed (make installs it)")


@pytest.fixture
def fake():
    server = FakeX()
    yield server
    server.close()


def configure(home, base):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text(json.dumps({"x": {"base": base, "page_size": 3}}))
    (home / "browser" / "x").mkdir(parents=True, exist_ok=True)


def test_sync_x_stores_every_bookmark_once_and_waits_out_the_429(cli, ft_home, fake):
    configure(ft_home, fake.url)
    result = cli("sync", "x", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["tombstones"] == 1 and row["waited"] >= 1 and row["pages"] == 3
    with ft.Library(ft_home) as lib:
        items = {i.source_id: i for i in lib.items(source="x", limit=None)}
        assert set(items) == EXPECTED
        assert items["1001"].text == LONG  # the whole long post
        assert "https://example.org/post/3?utm_source=x" in items["1003"].text  # t.co expanded
        assert items["1003"].meta["media"][0]["alt"] == "figure 3" and items["1003"].meta["engagement"]["favorite_count"] == 3
        assert [(r, o.source_id) for r, _, o in lib.links(items["1002"].id)] == [("quotes", "1050")]
        assert items["1001"].url == "https://x.com/author1/status/1001"
        assert oct(os.stat(ft_home / "browser" / "x").st_mode & 0o777) == "0o700"
    assert fake.requests == ["None", "c1", "c1", "c2"]  # the 429 was retried once
    # A second run: one page, stops at the newest bookmark it already has.
    fake.requests.clear()
    fake.newest_first = [tweet(9)]
    (again,) = json.loads(cli("sync", "x", "--json").stdout)
    assert fake.requests == ["None"] and again["new"] == 1 and again["stop"] == "known bookmark reached"


def test_killed_sync_continues_to_exactly_the_same_set(ft_home):
    fake = FakeX(delay_page="c1", delay=30)  # page 2 hangs (after its 429) until the kill
    try:
        configure(ft_home, fake.url)
        env = {**os.environ, "FT_HOME": str(ft_home)}
        child = subprocess.Popen([sys.executable, "-m", "ft.cli", "sync", "x"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 60
        while fake.requests.count("c1") < 2 and time.time() < deadline:
            time.sleep(0.1)
        os.killpg(child.pid, signal.SIGKILL)  # the browser too
        child.wait()
        with ft.Library(ft_home) as lib:
            partial = {i.source_id for i in lib.items(source="x", limit=None)}
            assert partial and partial < EXPECTED
            assert lib.db.execute("SELECT cursor FROM sync_state WHERE source = 'x'").fetchone()[0] == "c1"
        fake.delay = 0
        result = subprocess.run([sys.executable, "-m", "ft.cli", "sync", "x", "--continue", "--json"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        with ft.Library(ft_home) as lib:
            assert {i.source_id for i in lib.items(source="x", limit=None)} == EXPECTED
    finally:
        fake.close()


def test_expired_session_says_what_to_do(cli, ft_home, fake):
    configure(ft_home, fake.url)
    fake.expired = True
    result = cli("sync", "x")
    assert result.exit_code == 1
    assert "x: session expired — run `ft login x`" in result.stderr


def test_folders_and_media(cli, ft_home, fake):
    configure(ft_home, fake.url)
    config = json.loads((ft_home / "config.json").read_text())
    config["network"] = {"allow_hosts": ["127.0.0.1"]}
    (ft_home / "config.json").write_text(json.dumps(config))
    extra = tweet(9)
    extra["content"]["itemContent"]["tweet_results"]["result"]["legacy"]["extended_entities"]["media"][0]["media_url_https"] = f"{fake.url}/media/9.jpg"
    fake.newest_first = [extra]
    (row,) = json.loads(cli("sync", "x", "--folders", "--media", "--json").stdout)
    assert row["folders"] == 1 and row["media"] == 1  # the other tweets' media hosts do not resolve: skipped
    assert (ft_home / "media" / "x" / "1009" / "0.jpg").read_bytes().startswith(b"\xff\xd8")
    with ft.Library(ft_home) as lib:
        folders = {i.source_id: i.meta.get("folders") for i in lib.items(source="x", limit=None)}
    assert folders["1003"] == ["kernels"] and folders["1004"] == ["kernels"] and folders["1001"] == []
