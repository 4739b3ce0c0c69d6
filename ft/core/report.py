"""``Report``: what bringing items in did — an import, fetched URLs, one sync source — counted with
the same names everywhere, so a caller sums or shows any of them the same way."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

__all__ = ["Report"]


class Counts(Protocol):
    """What storing records reports (``index.UpsertResult``)."""

    added: int
    updated: int
    unchanged: int


@dataclass
class Report:
    """Counts of one run over some inputs (files, URLs, feeds, an X account).

    ``status`` is ok, partial (some inputs failed, the rest were stored), failed or empty.
    ``figures`` holds what only one source has (X: pages read, seconds waited, …).
    """

    source: str = ""  # files, urls, x, feeds, papers
    inputs: int = 0  # files, URLs or feeds read
    failed: int = 0  # inputs that could not be read
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # not stored on purpose: not modified since last time, deleted posts
    problems: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.problems and (self.added or self.updated or self.unchanged):
            return "partial"
        if self.problems:
            return "failed"
        return "ok" if self.inputs else "empty"

    def count(self, result: Counts) -> None:
        """Add what one store of records did."""
        self.added += result.added
        self.updated += result.updated
        self.unchanged += result.unchanged

    def fail(self, problem: str) -> None:
        """One input could not be read: counted, and its one-line reason kept."""
        self.failed += 1
        self.problems.append(problem)

    def merge(self, other: Report) -> Report:
        """This report with ``other``'s counts and problems added (``ft add`` of files and URLs at once)."""
        for name in ("inputs", "failed", "added", "updated", "unchanged", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems += other.problems
        self.figures.update(other.figures)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, **asdict(self)}
