"""Keyword search: SQLite FTS5 ranked by BM25, title weighted above text.

Plain words are matched as words (punctuation cannot break the query), all of
them required; with ``any_word`` (for libraries without vectors), when that
finds nothing, any of them will do. A query that uses
FTS5 syntax (quotes, AND/OR/NOT, NEAR, prefix ``*``, ``column:``) is passed on
as written, and a syntax error becomes a ``QuerySyntaxError`` naming the query.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

import sqlite_utils

from .items import Filters, Item, item_from_row
from .store import LABELS_SQL

__all__ = ["Hit", "QuerySyntaxError", "WEIGHTS", "fts_queries", "search", "search_sql"]

# bm25() weights for the indexed columns, in order: title, text, author.
WEIGHTS = (10.0, 1.0, 3.0)
SNIPPET_MARK = ("**", "**")

_WORD = re.compile(r"\w+\*?", re.UNICODE)
_SYNTAX = re.compile(r'"|\bAND\b|\bOR\b|\bNOT\b|\bNEAR\(|\w\*|\b(title|text|author):')


class QuerySyntaxError(ValueError):
    """The FTS5 query cannot be parsed."""


@dataclass
class Hit:
    """One search result: the item, its score (higher is better), a snippet and the matching span."""

    item: Item
    score: float
    snippet: str
    chunk: tuple[int, int] | None = None  # the character span of the best chunk, for citations

    def to_dict(self) -> dict:
        """A JSON-ready dict: the item's fields plus score, snippet and chunk span."""
        return {**self.item.to_dict(), "score": self.score, "snippet": self.snippet,
                "chunk": list(self.chunk) if self.chunk else None}


def fts_queries(query: str, any_word: bool = True) -> list[str]:
    """The FTS5 queries to try in turn for what the user typed.

    >>> fts_queries("NPU vs GPU")
    ['"NPU" "vs" "GPU"', '"NPU" OR "vs" OR "GPU"']
    """
    if _SYNTAX.search(query):
        return [query]
    words = [w for w in _WORD.findall(query)]
    if not words:
        return []
    quoted = [f'"{w[:-1]}"*' if w.endswith("*") else f'"{w}"' for w in words]
    if len(quoted) == 1 or not any_word:
        return [" ".join(quoted)]
    return [" ".join(quoted), " OR ".join(quoted)]


def search_sql(where: str) -> str:
    """The SQL that ranks matches of one FTS5 query under a filter condition."""
    weights = ", ".join(str(w) for w in WEIGHTS)
    start, end = SNIPPET_MARK
    return (
        f"SELECT items.*, {LABELS_SQL}, -bm25(items_fts, {weights}) AS score, "
        f"snippet(items_fts, 1, '{start}', '{end}', '…', 24) AS snippet "
        "FROM items_fts JOIN items ON items.id = items_fts.rowid "
        f"WHERE items_fts MATCH ? AND {where} ORDER BY bm25(items_fts, {weights}) LIMIT ?"
    )


def search(db: sqlite_utils.Database, query: str, filters: Filters, limit: int = 20, any_word: bool = False) -> list[Hit]:
    """Items matching ``query`` and ``filters``, best first.

    ``any_word`` adds the any-word fallback, for libraries with no vectors yet;
    otherwise looser matches are left to search by meaning.
    """
    where, params = filters.where()
    sql = search_sql(where)
    for fts in fts_queries(query, any_word):
        try:
            cursor = db.execute(sql, (fts, *params, limit))
            rows = cursor.fetchall()
        except sqlite3.OperationalError as exc:
            raise QuerySyntaxError(f"cannot search for {query!r}: {exc}") from exc
        if rows:
            cols = [d[0] for d in cursor.description]
            return [_hit(dict(zip(cols, row))) for row in rows]
    return []


def _hit(row: dict) -> Hit:
    return Hit(item=item_from_row(row), score=row["score"], snippet=row["snippet"])
