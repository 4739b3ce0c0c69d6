"""``python -m benchmarks [crash|concurrency|fuzz|scale|all]``: the hardening figures (``make stress``).

Run from a source checkout (it uses the demo library and the fake x.com of the
tests). Exits 1 when a figure misses its target: items lost, duplicates,
incomplete resumes, integrity failures, "database is locked" or importer crashes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", default="all", choices=["crash", "concurrency", "fuzz", "scale", "all"])
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs per command (crash)")
    parser.add_argument("--commands", default="import,sync-x,embed,classify", help="which commands to kill (crash)")
    parser.add_argument("--seconds", type=float, default=60, help="how long writer and readers run (concurrency)")
    parser.add_argument("--cases", type=int, default=1000, help="fuzz cases per importer")
    parser.add_argument("--items", type=int, default=1_000_000, help="items in the synthetic library (scale)")
    parser.add_argument("--workdir", type=Path, default=Path(".bench/stress"), help="scratch folder (replaced)")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    ok = True
    if args.part in ("crash", "all"):
        from . import crash

        print(f"== crash safety: SIGKILL at a random moment, {args.kills} times per command, then re-run")
        figures = crash.run(args.commands.split(","), args.kills, args.workdir)
        crash.report(figures)
        ok &= all(f.ok for f in figures)
    if args.part in ("concurrency", "all"):
        from . import concurrency

        print("== concurrency")
        roles = concurrency.run(args.seconds, args.workdir)
        concurrency.report(roles, args.seconds)
        ok &= not any(r.locked or r.errors for r in roles)
    if args.part in ("fuzz", "all"):
        from . import fuzz

        print(f"== fuzzing: {args.cases} cases per importer")
        ok &= fuzz.main(args.cases)
    if args.part in ("scale", "all"):
        from . import scale

        print(f"== scale: {args.items:,} items")
        scale.run(args.items, args.workdir / "scale")
    print("all figures at their targets" if ok else "SOME FIGURES MISSED THEIR TARGETS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
