"""ft: a local-first personal research library.

>>> import ft
>>> lib = ft.Library("/tmp/example")        # doctest: +SKIP
>>> lib.import_path("notes/")               # doctest: +SKIP
>>> lib.search("speculative decoding")      # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from .core.errors import (
    BackendUnavailable,
    FormatError,
    FtError,
    LibraryError,
    NotFound,
    SearchError,
    SourceError,
)

if TYPE_CHECKING:
    from index import Filters, Hit, Item, Link, Record, Stats, UpsertResult

    from .core.report import Report
    from .library import ImportReport, Library

__version__ = "0.1.0"

# Loaded on first use: the storage, model and embedding packages import ``ft.core.errors``,
# so importing them here, eagerly, would make every ``import ft.core.errors`` load them all.
_LAZY = {
    "ImportReport": "ft.library", "Library": "ft.library", "Report": "ft.core.report",
    "Filters": "index", "Hit": "index", "Item": "index", "Link": "index", "Record": "index",
    "Stats": "index", "UpsertResult": "index",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ft' has no attribute {name!r}")

__all__ = [
    "BackendUnavailable",
    "Filters",
    "FormatError",
    "FtError",
    "Hit",
    "ImportReport",
    "Item",
    "Library",
    "LibraryError",
    "Link",
    "NotFound",
    "Record",
    "Report",
    "SearchError",
    "SourceError",
    "Stats",
    "UpsertResult",
    "__version__",
]
