"""Labels: what each item is in each taxonomy, by whom (``user``, ``embedding``, ``llm``), and
which items are classified under which taxonomy version (``classified``)."""

from __future__ import annotations

import sqlite_utils

from ft.core.dates import now_iso

from .db import atomic

__all__ = ["label_counts", "label_names", "labels_by_item", "rename_label", "set_user_label", "store_label",
           "unclassified", "user_labels"]


def user_labels(db: sqlite_utils.Database, taxonomy: str) -> list[tuple[int, str]]:
    """``(item id, label)`` for every label the user set in ``taxonomy``."""
    return db.execute("SELECT item_id, label FROM labels WHERE taxonomy = ? AND method = 'user'", (taxonomy,)).fetchall()


def labels_by_item(db: sqlite_utils.Database, taxonomy: str) -> dict[int, str]:
    return dict(db.execute("SELECT item_id, label FROM labels WHERE taxonomy = ?", (taxonomy,)).fetchall())


def label_names(db: sqlite_utils.Database, taxonomy: str) -> set[str]:
    """Every label some item carries in ``taxonomy``."""
    return {r[0] for r in db.execute("SELECT DISTINCT label FROM labels WHERE taxonomy = ?", (taxonomy,))}


def label_counts(db: sqlite_utils.Database) -> list[tuple[str, str, int, int]]:
    """``(taxonomy, label, items, of which set by the user)``, by taxonomy, most used first."""
    return db.execute("SELECT taxonomy, label, count(*), sum(method = 'user') FROM labels "
                      "GROUP BY taxonomy, label ORDER BY taxonomy, 3 DESC").fetchall()


def unclassified(db: sqlite_utils.Database, taxonomy: str, fingerprint: str, force: bool = False
                 ) -> list[tuple[int, str, str, str]]:
    """``(id, title, text, content hash)`` of the items to classify: those without a user label in
    ``taxonomy`` whose content or taxonomy version (``fingerprint``) changed since (all of them with ``force``)."""
    done = "" if force else (
        " AND NOT EXISTS (SELECT 1 FROM classified c WHERE c.item_id = items.id AND c.taxonomy = :t "
        "AND c.fingerprint = :f AND c.content_hash = items.content_hash)"
    )
    return db.execute(
        "SELECT id, title, text, content_hash FROM items WHERE NOT EXISTS (SELECT 1 FROM labels l "
        f"WHERE l.item_id = items.id AND l.taxonomy = :t AND l.method = 'user'){done} ORDER BY id",
        {"t": taxonomy, "f": fingerprint},
    ).fetchall()


def store_label(db: sqlite_utils.Database, item_id: int, taxonomy: str, fingerprint: str, digest: str,
                label: str, method: str, score: float, model: str | None) -> None:
    """A machine's label for an item (replacing the machine's earlier one), and the item marked
    classified under this taxonomy version and content; run inside the caller's ``atomic``."""
    db.execute("DELETE FROM labels WHERE item_id = ? AND taxonomy = ? AND method != 'user'", (item_id, taxonomy))
    db.execute(
        "INSERT OR REPLACE INTO labels (item_id, taxonomy, label, method, score, model, created_at) VALUES (?,?,?,?,?,?,?)",
        (item_id, taxonomy, label, method, score, model, now_iso()),
    )
    db.execute("INSERT OR REPLACE INTO classified (item_id, taxonomy, fingerprint, content_hash) VALUES (?,?,?,?)",
               (item_id, taxonomy, fingerprint, digest))


def set_user_label(db: sqlite_utils.Database, item_id: int, taxonomy: str, label: str) -> None:
    """The user's label for an item, replacing any other in ``taxonomy``."""
    with atomic(db):
        db.execute("DELETE FROM labels WHERE item_id = ? AND taxonomy = ?", (item_id, taxonomy))
        db.execute(
            "INSERT INTO labels (item_id, taxonomy, label, method, score, model, created_at) VALUES (?,?,?,'user',1.0,NULL,?)",
            (item_id, taxonomy, label, now_iso()),
        )


def rename_label(db: sqlite_utils.Database, taxonomy: str, source: str, target: str) -> int:
    """Move every ``source`` label to ``target``; an item that has both keeps one. Returns items moved."""
    with atomic(db):
        moved = db.execute("SELECT count(*) FROM labels WHERE taxonomy = ? AND label = ?", (taxonomy, source)).fetchone()[0]
        db.execute("UPDATE OR IGNORE labels SET label = ? WHERE taxonomy = ? AND label = ?", (target, taxonomy, source))
        db.execute("DELETE FROM labels WHERE taxonomy = ? AND label = ?", (taxonomy, source))
    return moved
