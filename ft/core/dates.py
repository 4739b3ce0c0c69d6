"""Dates: the one timestamp format ft stores (ISO 8601 UTC to the second, ``Z``) and the dates people type:
``30d``, ``2w``, ``6m``, ``1y``, ``12h`` or ISO dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from .errors import SearchError

__all__ = ["iso", "now_iso", "parse_when"]

_RELATIVE = re.compile(r"^(\d+)\s*([hdwmy])$", re.IGNORECASE)
_DAYS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}


def iso(moment: datetime) -> str:
    """``moment`` as ft stores every time: ISO 8601 in UTC, to the second (a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    """The current time as ``iso`` writes it."""
    return iso(datetime.now(UTC))


def parse_when(value: str | None, now: datetime | None = None) -> str | None:
    """An ISO 8601 UTC string for ``value``; relative values count back from ``now``.

    >>> parse_when("2025-03-01")
    '2025-03-01T00:00:00Z'
    """
    if not value:
        return None
    value = value.strip()
    if match := _RELATIVE.match(value):
        amount, unit = int(match.group(1)), match.group(2).lower()
        when = (now or datetime.now(UTC)) - timedelta(days=amount * _DAYS[unit])
        return iso(when)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(
            f"cannot read the date {value!r}: use YYYY-MM-DD or a span like 30d, 2w, 6m, 1y"
        ) from None
    return iso(parsed)
