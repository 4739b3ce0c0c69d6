"""ft: a local-first personal research library.

>>> import ft
>>> lib = ft.Library("/tmp/example")        # doctest: +SKIP
>>> lib.import_path("notes/")               # doctest: +SKIP
>>> lib.search("speculative decoding")      # doctest: +SKIP
"""

from index import Filters, Hit, Item, Link, Record, Stats, UpsertResult

from .errors import (
    BackendUnavailable,
    FormatError,
    FtError,
    LibraryError,
    NotFound,
    SearchError,
    SourceError,
)
from .library import ImportReport, Library

__version__ = "0.1.0"

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
    "SearchError",
    "SourceError",
    "Stats",
    "UpsertResult",
    "__version__",
]
