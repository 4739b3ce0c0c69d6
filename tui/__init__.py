"""``ft tui``: the library in the terminal — browse, search, read, label, summarize, ask."""

from .app import FtApp, make_app

__all__ = ["FtApp", "make_app"]
