"""``ft schedule``: sync, embed and classify on a timer, unattended, one log line per step.

The timer is a systemd user timer where systemd runs the user's session, else a
crontab line; either runs ``ft schedule run`` for this library. A run takes an
exclusive lock on ``FT_HOME/schedule.lock`` first, so a run that finds another
still going waits for it instead of writing beside it; each step (``ft sync``,
``ft embed``, ``ft classify`` per configured taxonomy) is a child process, so a
step that fails, or a native crash inside one, leaves one line in
``FT_HOME/logs/schedule.log`` and the next step, and the next run, go on.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ft.core.dates import now_iso
from ft.core.errors import FtError
from ft.core.settings import Settings

__all__ = ["Installed", "install", "remove", "run", "status"]

UNIT = "ft-sync"
CRON_MARK = "# ft-sync"
_EVERY = re.compile(r"(\d+)\s*(m|min|h|d)")


@dataclass
class Installed:
    via: str  # "systemd" or "cron"
    files: list[str]
    every: str
    note: str = ""  # what the user still has to do, if anything

    def to_dict(self) -> dict:
        return self.__dict__


def _interval(every: str) -> tuple[int, str]:
    match = _EVERY.fullmatch(every.strip().lower())
    if not match or int(match.group(1)) < 1:
        raise FtError(f"--every takes a span like 30m, 6h or 1d, not {every!r}")
    return int(match.group(1)), match.group(2)[0]


def _command(home: Path) -> list[str]:
    """What the timer runs: this interpreter's ft, on this library."""
    return [sys.executable, "-m", "ft.cli", "--home", str(home.resolve()), "schedule", "run"]


def _systemd_dir() -> Path:
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "systemd" / "user"


def _units(home: Path, every: str) -> dict[str, str]:
    count, unit = _interval(every)
    span = {"m": "min", "h": "h", "d": "d"}[unit]
    exec_start = " ".join(f'"{part}"' if " " in part else part for part in _command(home))
    service = (f"[Unit]\nDescription=ft: sync, embed and classify the library in {home}\n\n"
               f"[Service]\nType=oneshot\nExecStart={exec_start}\nNice=10\n")
    timer = (f"[Unit]\nDescription=ft sync every {every}\n\n[Timer]\nOnBootSec=5min\nOnUnitActiveSec={count}{span}\n"
             "Persistent=true\n\n[Install]\nWantedBy=timers.target\n")
    return {f"{UNIT}.service": service, f"{UNIT}.timer": timer}


def _cron_line(home: Path, every: str) -> str:
    count, unit = _interval(every)
    when = {"m": f"*/{count} * * * *", "h": f"0 */{count} * * *", "d": f"0 3 */{count} * *"}[unit]
    return f"{when} {' '.join(_command(home))} {CRON_MARK}"


def _systemd_user() -> bool:
    """Whether a systemd user manager is there to take the timer."""
    if not shutil.which("systemctl"):
        return False
    probe = subprocess.run(["systemctl", "--user", "is-system-running"], capture_output=True, text=True)
    return probe.stdout.strip() in ("running", "degraded")


def _crontab(lines: list[str] | None = None) -> list[str]:
    """The user's crontab lines; with ``lines``, replace it."""
    if not shutil.which("crontab"):
        raise FtError("neither a systemd user session nor crontab is available: run `ft schedule run` from your own scheduler")
    if lines is None:
        done = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
        return done.stdout.splitlines() if done.returncode == 0 else []
    subprocess.run(["crontab", "-"], input="\n".join(lines) + "\n", text=True, check=True, capture_output=True)
    return lines


def install(home: Path, every: str = "6h", via: str = "auto") -> Installed:
    """Write the timer (``via``: systemd, cron, or auto: systemd when its user manager runs)."""
    _interval(every)
    if via == "auto":
        via = "systemd" if _systemd_user() else "cron"
    if via == "systemd":
        folder = _systemd_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in _units(home, every).items():
            (folder / name).write_text(text)
        files = [str(folder / name) for name in _units(home, every)]
        note = ""
        if _systemd_user():
            subprocess.run(["systemctl", "--user", "daemon-reload"], check=True)
            subprocess.run(["systemctl", "--user", "enable", "--now", f"{UNIT}.timer"], check=True, capture_output=True)
        else:
            note = f"no systemd user session here: start it later with systemctl --user enable --now {UNIT}.timer"
        return Installed("systemd", files, every, note)
    if via != "cron":
        raise FtError(f"--via takes systemd, cron or auto, not {via!r}")
    lines = [line for line in _crontab() if CRON_MARK not in line]
    _crontab([*lines, _cron_line(home, every)])
    return Installed("cron", ["crontab"], every)


def status(home: Path) -> dict:
    """Where the timer is installed, and the last lines of the log."""
    folder = _systemd_dir()
    systemd = [str(folder / name) for name in (f"{UNIT}.service", f"{UNIT}.timer") if (folder / name).exists()]
    cron = [line for line in _crontab() if CRON_MARK in line] if shutil.which("crontab") else []
    log = home / "logs" / "schedule.log"
    return {"systemd": systemd, "cron": cron,
            "log": str(log), "last": log.read_text().splitlines()[-8:] if log.exists() else []}


def remove() -> list[str]:
    """Take the timer away, wherever it was installed; returns what was removed."""
    removed = []
    folder = _systemd_dir()
    if (folder / f"{UNIT}.timer").exists() and _systemd_user():
        subprocess.run(["systemctl", "--user", "disable", "--now", f"{UNIT}.timer"], capture_output=True)
    for name in (f"{UNIT}.service", f"{UNIT}.timer"):
        if (folder / name).exists():
            (folder / name).unlink()
            removed.append(str(folder / name))
    if shutil.which("crontab"):
        lines = _crontab()
        kept = [line for line in lines if CRON_MARK not in line]
        if kept != lines:
            _crontab(kept)
            removed.append("crontab line")
    return removed


def _log(path: Path, line: str) -> None:
    with path.open("a") as log:
        log.write(f"{now_iso()} {line}\n")


def _steps(settings: Settings) -> list[tuple[str, list[str]]]:
    """sync, embed, then classify for every taxonomy the user configured (none built in: they cost model time)."""
    from .taxonomy import BUILTIN, load_taxonomies

    ft = [sys.executable, "-m", "ft.cli", "--home", str(settings.home)]
    steps = [("sync", [*ft, "sync"]), ("embed", [*ft, "embed"])]
    for name in load_taxonomies(settings):
        if name not in BUILTIN:
            steps.append((f"classify {name}", [*ft, "classify", "-T", name]))
    return steps


def run(settings: Settings) -> int:
    """One scheduled run; returns how many steps failed (each failure is one log line)."""
    home = settings.home
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True, mode=0o700)
    log = logs / "schedule.log"
    with (home / "schedule.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # an earlier run still going: wait for it
        failed = 0
        for name, argv in _steps(settings):
            done = subprocess.run(argv, capture_output=True, text=True)
            if done.returncode == 0:
                summary = " ".join(done.stdout.split())[-200:]
                _log(log, f"{name}: ok {summary}".rstrip())
            else:
                failed += 1
                why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
                _log(log, f"{name}: failed ({why[:300]})")
    return failed
