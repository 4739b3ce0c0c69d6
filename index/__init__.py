"""ft's library storage: one SQLite file with items, links, chunks, vectors and labels.

Everything here is plain functions over a ``sqlite_utils.Database``; the
``ft.Library`` class is the public face that ties them together.
"""

from .db import atomic, connect
from .fts import Hit, QuerySyntaxError, search
from .items import Filters, Item
from .records import Link, Record, Skipped
from .schema import SCHEMA_VERSION, SchemaTooNew, migrate, schema_version
from .store import Stats, UpsertResult, delete_item, get_item, item_links, list_items, restore_item, stats, upsert

__all__ = [
    "Filters",
    "Hit",
    "Item",
    "Link",
    "QuerySyntaxError",
    "Record",
    "SCHEMA_VERSION",
    "SchemaTooNew",
    "Skipped",
    "Stats",
    "UpsertResult",
    "atomic",
    "connect",
    "delete_item",
    "get_item",
    "item_links",
    "list_items",
    "migrate",
    "restore_item",
    "schema_version",
    "search",
    "stats",
    "upsert",
]
