"""One shape for every benchmark's results: aligned rows for a person, one JSON document for a script.

Each ``Figure`` is a measured value, and where the claim is relative, the
baseline it was measured beside in the same run and the ratio between them,
always oriented so that a ratio above 1 means ft is better (faster, smaller).
With ``--json`` nothing but the final document reaches stdout: whatever the
code under test prints goes to stderr instead.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

__all__ = ["Figure", "Figures", "measuring"]

# Units where a larger value is better; every other unit (s, ms, MB) is better smaller.
_RATES = ("/s", "x", "%")


@dataclass
class Figure:
    section: str
    name: str
    value: float | int | str
    unit: str = ""
    baseline: str | None = None  # what it was measured beside, in the same run
    baseline_value: float | None = None
    ratio: float | None = None  # > 1: ft is better than the baseline
    target: str = ""
    note: str = ""


@dataclass
class Figures:
    """The figures of one benchmark run, printed as they come unless ``json`` is set."""

    bench: str
    json: bool = False
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _section: str = ""

    def section(self, title: str) -> None:
        """Start a group of figures; its title is a line of the text output."""
        self._section = title
        self._say(title)

    def note(self, text: str) -> None:
        """A line of context (sizes, settings) that is not itself a figure."""
        self.notes.append(text)
        self._say(text)

    def add(self, name: str, value: float | int | str, unit: str = "", *, baseline: str | None = None,
            baseline_value: float | None = None, target: str = "", note: str = "",
            higher_is_better: bool | None = None) -> Figure:
        """Record one figure; with a baseline value the ratio is computed here, one way for all."""
        ratio = None
        if baseline_value and isinstance(value, (int, float)) and value:
            higher = higher_is_better if higher_is_better is not None else unit.endswith(_RATES)
            ratio = value / baseline_value if higher else baseline_value / value
        figure = Figure(self._section, name, value, unit, baseline, baseline_value, ratio, target, note)
        self.figures.append(figure)
        self._say(_row(figure))
        return figure

    def document(self) -> dict:
        return {"bench": self.bench, "figures": [asdict(f) for f in self.figures], "notes": self.notes}

    def _say(self, line: str) -> None:
        if not self.json:
            print(line, flush=True)


def _number(value: float | int | str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _row(f: Figure) -> str:
    line = f"  {f.name:<46} {_number(f.value):>10} {f.unit:<8}"
    if f.ratio is not None:
        line += f" {f.ratio:6.2f}x vs {f.baseline}"
    if f.target:
        line += f"  target {f.target}"
    if f.note:
        line += f"  {f.note}"
    return line.rstrip()


@contextlib.contextmanager
def measuring(bench: str, as_json: bool) -> Iterator[Figures]:
    """Collect a run's figures; with ``as_json`` print them as one document at the end, and only that."""
    figures = Figures(bench, as_json)
    if not as_json:
        yield figures
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield figures
    print(json.dumps(figures.document(), indent=1))
