"""Privacy: what ft stores about you is owner-only, a loosened mode is named at start, and
every command except the explicit fetches (add URL, papers attach, sync, login) works with
no network at all."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ft
from ft.cli import app
from ft.core.privacy import loosened

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- owner-only on creation ------------------------------------------------------------

@pytest.fixture
def open_umask():
    """The most permissive umask: whatever ft creates owner-only is owner-only by its own doing."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_what_ft_creates_is_owner_only_even_with_umask_0(tmp_path, monkeypatch, cli, open_umask):
    from ft.sync.xsync import _profile
    from local_models.kv_cache import StateCache, file_sha256

    home = tmp_path / "new" / "ft"  # neither folder exists yet
    monkeypatch.setenv("FT_HOME", str(home))
    (tmp_path / "n.md").write_text("# A note\n\nKept private.")
    assert cli("add", str(tmp_path / "n.md")).exit_code == 0
    with ft.Library(home) as lib:  # while a library is open, SQLite's -wal and -shm files exist
        lib.add(ft.Record("t", "1", "written through the WAL", title="t"))
        wal, shm = home / "library.db-wal", home / "library.db-shm"
        assert (mode(wal), mode(shm)) == (0o600, 0o600)
    states = StateCache(home / "cache" / "kv")
    states.put("k" * 40, b"the keys and values of an item's text")
    file_sha256(tmp_path / "n.md", home / "cache" / "model-hashes.json")
    profile = _profile(home)  # what ft login x and ft sync x open Chromium with
    created = {path: mode(path) for path in (
        tmp_path / "new", home, home / "library.db", home / "cache", home / "cache" / "kv",
        home / "cache" / "kv" / f"{'k' * 40}.kv", home / "browser", profile)}
    assert created == {path: 0o600 if path.is_file() else 0o700 for path in created}
    assert mode(tmp_path / "n.md") == 0o666  # the control: the umask really is 0 for files ft did not make
    assert cli("stats").stderr == ""


def test_a_loosened_path_is_named_and_the_command_still_runs(cli, ft_home, tmp_path):
    (tmp_path / "n.md").write_text("# A note\n\nKept private.")
    cli("add", str(tmp_path / "n.md"))
    (ft_home / "browser").mkdir(mode=0o700)
    (ft_home / "browser" / "x").mkdir(mode=0o700)
    os.chmod(ft_home, 0o755)
    os.chmod(ft_home / "library.db", 0o644)
    os.chmod(ft_home / "browser" / "x", 0o750)
    result = cli("stats")
    assert result.exit_code == 0 and "1 items" in result.stdout
    assert result.stderr.splitlines() == [
        f"warning: {ft_home} is readable by others (mode 0755); run chmod 700 {ft_home}",
        f"warning: {ft_home / 'browser' / 'x'} is readable by others (mode 0750); run chmod 700 {ft_home / 'browser' / 'x'}",
        f"warning: {ft_home / 'library.db'} is readable by others (mode 0644); run chmod 600 {ft_home / 'library.db'}",
    ]
    assert (mode(ft_home), mode(ft_home / "library.db")) == (0o755, 0o644)  # named, never changed behind the user's back
    os.chmod(ft_home, 0o700)
    os.chmod(ft_home / "library.db", 0o600)
    os.chmod(ft_home / "browser" / "x", 0o700)
    tight = cli("stats")
    assert tight.exit_code == 0 and tight.stderr == ""


def test_a_library_file_outside_an_ft_home_is_checked_but_not_its_folder(tmp_path):
    shared = tmp_path / "Documents"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    with ft.Library(shared / "papers.db"):
        pass
    assert loosened(shared / "papers.db") == []  # the user's Documents folder is theirs to set
    os.chmod(shared / "papers.db", 0o640)
    assert loosened(shared / "papers.db") == [
        f"warning: {shared / 'papers.db'} is readable by others (mode 0640); run chmod 600 {shared / 'papers.db'}"]


# -- no network ------------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch) -> list[str]:
    """IPv4 and IPv6 sockets cannot connect and names cannot be resolved; Unix sockets still work.
    Returns the attempts, so a command that tried and recovered is caught too."""
    attempts: list[str] = []

    def refuse(what: str, error: type[OSError] = OSError, code: int = errno.ENETUNREACH):
        attempts.append(what)
        raise error(code, f"network denied by the test: {what}")

    def guard(real):
        def connect(self, address, *args):
            if self.family in (socket.AF_INET, socket.AF_INET6):
                refuse(f"{real.__name__} {address}")
            return real(self, address, *args)
        return connect

    monkeypatch.setattr(socket.socket, "connect", guard(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(socket.socket.connect_ex))
    unresolved = (socket.gaierror, socket.EAI_AGAIN)  # what a resolver with no network answers
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: refuse(f"getaddrinfo {host}", *unresolved))
    monkeypatch.setattr(socket, "gethostbyname", lambda host: refuse(f"gethostbyname {host}", *unresolved))
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(f"create_connection {address}"))
    return attempts


def test_the_denial_is_real(cli, no_network):
    """The control: the one kind of command that does fetch fails in one line, and is seen trying."""
    result = cli("add", "https://example.org/post")
    assert result.exit_code == 1 and "example.org" in result.stderr
    assert no_network == ["getaddrinfo example.org"]


def _local_commands(home: Path, tmp: Path, item: ft.Item) -> list[tuple[list[str], str]]:
    """Every command that needs no network, with text its real output must contain. Not here, by design
    or by cost: add URL, papers attach, sync and login (they fetch); tui (interactive, see test_tui.py);
    bench, models quantize and quantize-embedder (minutes of work, no different in what they reach)."""
    note = tmp / "offline.md"
    note.write_text("# Offline note\n\nSpeculative decoding works without a network.")
    feeds = tmp / "feeds.opml"
    feeds.write_text('<?xml version="1.0"?><opml version="2.0"><body>'
                     '<outline text="k" type="rss" xmlUrl="https://kernels.example/rss.xml"/></body></opml>')
    gguf = next((home / "models").glob("gemma-3-270m*.gguf"))
    question, cited = f"What does {item.title} say?", f"[{item.id}:"
    item = str(item.id)
    return [
        (["add", str(note), str(feeds)], "2 added"),
        (["embed"], "chunks embedded"),
        (["search", "speculative decoding", "--mode", "keyword"], "Speculative"),
        (["search", "chips for on-device AI", "--mode", "semantic"], "·"),
        (["search", "speculative decoding", "--mode", "hybrid", "--json"], '"score"'),
        (["similar", item], "·"),
        (["list", "--limit", "5"], "·"),
        (["show", item], f"#{item} ·"),
        (["stats"], "items"),
        (["doctor"], "FTS5 yes"),
        (["classify", "--taxonomy-file", str(DEMO / "taxonomy.json")], "items"),
        (["label", item, "inference", "--taxonomy-file", str(DEMO / "taxonomy.json")], f"#{item} is inference in topic"),
        (["labels", "list"], "inference"),
        (["labels", "merge-suggest"], "near"),
        (["labels", "merge", "robotics", "research"], "moved from robotics to research"),
        (["summarize", item], cited),
        (["summarize", item, "--rewrite", "--json"], f'"item": {item}'),
        (["ask", question], cited),
        (["ask", question, "--rewrite", "--json"], f'"item": {item}'),
        (["viz"], "items by source"),
        (["viz", "map", "--html", str(tmp / "map.html"), "--png", str(tmp / "map.png")], "wrote"),
        (["viz", "timeline", "--json"], "{"),
        (["models", "list"], "gemma3-270m"),
        (["models", "info", "gemma3-270m"], "gemma3"),
        (["models", "devices"], "CPUExecutionProvider"),
        (["models", "add", str(gguf), "--name", "mine", "--base"], "added mine"),
        (["models", "remove", "mine"], "removed mine"),
        (["generate", "The printing press was invented", "-n", "8", "--stats"], "8 tokens"),
        (["papers", "watch", "cat:cs.CL AND abs:speculative"], "watching"),
        (["feeds", "add", "https://bread.example/atom.xml"], "following"),
        (["feeds", "list"], "kernels.example"),
        (["export", "--md", str(tmp / "vault"), "--bibtex", str(tmp / "papers.bib")], "notes written"),
        (["digest", "--since", "3650d"], "# What you saved"),
        (["mcp", "--print-config"], "mcpServers"),
    ]


@pytest.fixture
def small_home(demo_copy) -> tuple[Path, ft.Item]:
    """A copy of the demo library cut to its 12 newest items (every command still has real work, in
    seconds), and the one of median length."""
    home = demo_copy("offline")
    with ft.Library(home) as lib:
        items = lib.items(limit=None)
        for item in items[12:]:
            lib.delete(item.id)
    return home, sorted(items[:12], key=lambda i: len(i.text))[6]


def test_every_local_command_works_with_the_network_denied(small_home, no_network, monkeypatch, tmp_path):
    home, item = small_home
    monkeypatch.setenv("FT_HOME", str(home))
    runner = CliRunner()
    failed = {}
    for argv, expected in _local_commands(home, tmp_path, item):
        result = runner.invoke(app, argv)
        if result.exit_code != 0 or expected not in result.output:
            failed[" ".join(argv)] = (result.exit_code, result.output[-800:], repr(result.exception))
    chat = runner.invoke(app, ["chat", "--model", "smollm2-135m", "-n", "24"], input="Say hello.\n\n")
    assert not failed, failed
    assert chat.exit_code == 0 and chat.stdout.strip(), chat.stderr
    assert (tmp_path / "map.html").stat().st_size > 100_000 and (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
    assert no_network == []


def test_local_commands_in_a_network_namespace(small_home, tmp_path):
    """The same commands as fresh processes in a namespace with no network at all, not even
    loopback: what a Python-level patch cannot see (native code, a library phoning home) fails here."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode:
        pytest.skip("unshare -rn is not permitted here (no user namespaces)")
    home, item = small_home
    commands = _local_commands(home, tmp_path, item)
    chosen = [[c for c in commands if " ".join(c[0]).startswith(start)][-1] for start in (
        "add", "embed", "search", "ask", "classify", "viz map", "doctor", "models list")]  # the last: hybrid, --rewrite
    env = {**os.environ, "FT_HOME": str(home)}

    def run(argv: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(["unshare", "-rn", sys.executable, "-m", "ft.cli", *argv], env=env, capture_output=True,
                              text=True, timeout=300)

    control = run(["add", "https://example.org/post"])
    assert control.returncode == 1 and "cannot resolve example.org" in control.stderr
    failed = {}
    for argv, expected in chosen:
        done = run(argv)
        if done.returncode != 0 or expected not in done.stdout + done.stderr:
            failed[" ".join(argv)] = (done.returncode, done.stdout[-500:], done.stderr[-800:])
    assert not failed, failed
