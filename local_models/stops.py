"""Turning generated token bytes into text: UTF-8 across token boundaries, and stop strings.

Text is released to the caller only once it cannot be the start of a stop
string, so a streamed answer never shows half of a stop marker.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence

__all__ = ["TextStream"]


class TextStream:
    """Accumulates token bytes; ``push`` returns newly safe text and whether a stop was hit."""

    def __init__(self, stops: Sequence[str] = ()) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stops = [s for s in stops if s]
        self._hold = max((len(s) for s in self._stops), default=1) - 1
        self.text = ""  # everything decoded so far, up to a stop if one was found
        self._released = 0

    def push(self, data: bytes) -> tuple[str, bool]:
        """Add a token's bytes; return (text now safe to show, stopped)."""
        self.text += self._decoder.decode(data)
        for stop in self._stops:
            at = self.text.find(stop, max(0, self._released - len(stop)))
            if at >= 0:
                self.text = self.text[:at]
                return self._release(len(self.text)), True
        return self._release(len(self.text) - self._partial_stop()), False

    def finish(self) -> str:
        """Flush: the rest of the text (no stop can complete now)."""
        self.text += self._decoder.decode(b"", final=True)
        return self._release(len(self.text))

    def _partial_stop(self) -> int:
        """Length of the longest tail of the text that begins some stop string."""
        tail = self.text[-self._hold :] if self._hold else ""
        for size in range(len(tail), 0, -1):
            if any(stop.startswith(tail[-size:]) for stop in self._stops):
                return size
        return 0

    def _release(self, upto: int) -> str:
        upto = max(upto, self._released)
        out = self.text[self._released : upto]
        self._released = upto
        return out
