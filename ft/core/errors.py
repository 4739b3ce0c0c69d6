"""The exceptions ft raises, one branch per kind of failure.

Every message names what went wrong and, where there is one, the fix, so the
CLI can print it as a single line::

    FtError
    ├── LibraryError        the library file cannot be opened or is damaged
    ├── SourceError         one input (file, URL, export) cannot be read
    │   └── FormatError     its content is not in a format ft understands
    ├── SearchError         a query ft cannot run (bad syntax, bad filter)
    ├── NotFound            an item id that is not in the library
    ├── ModelError          a model cannot be loaded or run
    │   └── ContextOverflow a prompt longer than the model's context
    └── BackendUnavailable  an optional component (model, runtime) is missing
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailable",
    "ContextOverflow",
    "FormatError",
    "FtError",
    "LibraryError",
    "ModelError",
    "NotFound",
    "SearchError",
    "SourceError",
]


class FtError(Exception):
    """Base of every error ft reports to a user; the message is the whole story."""


class LibraryError(FtError):
    """The library database cannot be opened, created or migrated."""


class SourceError(FtError):
    """One input cannot be read; ``where`` names it (a path, URL or path:line)."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where}: {why}")
        self.where = where
        self.why = why


class FormatError(SourceError):
    """The input was read but its content is not in a format ft understands."""


class SearchError(FtError):
    """A search or filter that cannot be run as written."""


class NotFound(FtError):
    """The item asked for is not in the library."""


class ModelError(FtError):
    """A model file cannot be loaded, or inference failed."""


class ContextOverflow(ModelError):
    """The prompt (plus room to answer) does not fit the model's context window."""


class BackendUnavailable(FtError):
    """An optional component is not installed or cannot start here."""
