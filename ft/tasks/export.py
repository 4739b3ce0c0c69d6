"""The library as files other tools open: a Markdown vault (Obsidian, Logseq) and BibTeX for papers.

The vault has one note per item under ``items/``, named ``<id> <title>.md`` so
names stay unique and readable; YAML front matter carries the item's fields;
links between items are ``[[wikilinks]]``; ``labels/`` holds an index note per
label and ``index.md`` lists them. A manifest (``.ft-export.json``) remembers
each note's content hash, so ``changed_only`` rewrites only the notes whose
content changed and removes notes of deleted or renamed items. Item text is
written as Markdown text, never as markup a viewer would run: HTML-looking
text is escaped.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from index import Item

from ft.core.errors import FtError

__all__ = ["ExportReport", "export_bibtex", "export_markdown"]

MANIFEST = ".ft-export.json"
_UNSAFE = re.compile(r'[\\/:*?"<>|#^\[\]\x00-\x1f]+')


@dataclass
class ExportReport:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    folder: str = ""
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"written": self.written, "unchanged": self.unchanged, "removed": self.removed, "folder": self.folder}


def note_name(item: Item) -> str:
    """A file name Obsidian links to: the id keeps it unique, the title keeps it readable."""
    title = _UNSAFE.sub(" ", item.title or "").strip()
    title = " ".join(title.split())[:60].rstrip(" .")
    return f"{item.id} {title}".strip()


def _label_note(label: str) -> str:
    return "label " + (_UNSAFE.sub(" ", label).strip() or "unnamed")


def _tag(label: str) -> str:
    return re.sub(r"[^\w/-]+", "-", label).strip("-") or "label"


def _front_matter(item: Item) -> str:
    fields = {"id": item.id, "title": item.title, "source": item.source, "source_id": item.source_id,
              "kind": item.kind, "author": item.author, "created": item.created_at, "saved": item.saved_at,
              "url": item.url, "labels": item.labels, "tags": sorted({_tag(label) for label in item.labels})}
    data = {key: value for key, value in fields.items() if value not in (None, "", [])}
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000) + "---\n"


def _markdown_text(text: str) -> str:
    """Item text as inert Markdown: HTML tags shown as text, a stray front-matter fence defused."""
    return html.escape(text, quote=False).replace("\n---\n", "\n\\---\n")


def render_note(item: Item, links: list[tuple[str, str, Item]], summary: str | None) -> str:
    """One item's note: front matter, title, summary, text, then links to other notes."""
    parts = [_front_matter(item), f"# {_markdown_text(item.title or item.source_id)}\n"]
    if item.url:
        parts.append(f"<{item.url}>\n" if re.fullmatch(r"https?://\S+", item.url) else f"`{item.url}`\n")
    if summary:
        parts.append(f"## Summary\n\n{_markdown_text(summary)}\n")
    parts.append(f"## Text\n\n{_markdown_text(item.text)}\n")
    if links:
        lines = [f"- {rel} ({direction}): [[{note_name(other)}]]" for rel, direction, other in links]
        parts.append("## Links\n\n" + "\n".join(lines) + "\n")
    if item.labels:
        parts.append("## Labels\n\n" + "\n".join(f"- [[{_label_note(label)}]]" for label in item.labels) + "\n")
    return "\n".join(parts)


def _write(path: Path, content: str, digest: str, manifest: dict[str, str], key: str, report: ExportReport) -> None:
    if manifest.get(key) == digest and path.exists():
        report.unchanged += 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    manifest[key] = digest
    report.written += 1
    report.files.append(str(path))


def export_markdown(lib, folder: Path, changed_only: bool = False) -> ExportReport:
    """Write the vault into ``folder``; with ``changed_only``, notes whose content is unchanged stay as they are."""
    from .reading import stored_summary

    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / MANIFEST
    old: dict[str, str] = {}
    if changed_only and manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text())
        except ValueError as exc:
            raise FtError(f"{manifest_path}: not a manifest ft wrote ({exc}); export without --changed") from exc
    manifest: dict[str, str] = dict(old)
    report = ExportReport(folder=str(folder))
    by_label: dict[str, list[Item]] = defaultdict(list)
    keep: set[str] = set()
    for item in lib.items(limit=None):
        name = f"items/{note_name(item)}.md"
        content = render_note(item, lib.links(item.id), stored_summary(lib, item.id))
        _write(folder / name, content, _digest(content), manifest, name, report)
        keep.add(name)
        for label in item.labels:
            by_label[label].append(item)
    for label, items in sorted(by_label.items()):
        name = f"labels/{_label_note(label)}.md"
        content = f"# {label}\n\n" + "\n".join(f"- [[{note_name(i)}]]" for i in items) + "\n"
        _write(folder / name, content, _digest(content), manifest, name, report)
        keep.add(name)
    index = "# Library\n\n" + "".join(f"- [[{_label_note(label)}]] ({len(items)})\n" for label, items in
                                      sorted(by_label.items())) + f"\n{len(keep) - len(by_label)} items in `items/`.\n"
    _write(folder / "index.md", index, _digest(index), manifest, "index.md", report)
    keep.add("index.md")
    for stale in set(manifest) - keep:  # deleted items, renamed titles, labels no longer used
        (folder / stale).unlink(missing_ok=True)
        del manifest[stale]
        report.removed += 1
    manifest_path.write_text(json.dumps(manifest, indent=0, sort_keys=True))
    return report


def _digest(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def _cite_key(item: Item, taken: set[str]) -> str:
    """``lastnameYEARword``, as reference managers make them; a letter is added on a clash."""
    authors = item.meta.get("authors") or [a.strip() for a in (item.author or "").split(",") if a.strip()]
    last = re.sub(r"\W+", "", authors[0].split()[-1]).lower() if authors and authors[0].split() else "anon"
    year = (item.created_at or "")[:4] if (item.created_at or "")[:4].isdigit() else ""
    word = next((w.lower() for w in re.findall(r"[A-Za-z]{4,}", item.title or "")), "item")
    key, suffix = f"{last}{year}{word}", 0
    while key in taken:
        suffix += 1
        key = f"{last}{year}{word}{chr(ord('a') + suffix - 1)}"
    taken.add(key)
    return key


def _bib(text: str) -> str:
    """Text safe inside a BibTeX field: braces dropped (an unbalanced one breaks the file), TeX specials escaped."""
    text = " ".join(text.replace("{", "").replace("}", "").split())
    return re.sub(r"([&%#_$])", r"\\\1", text)


def export_bibtex(lib, path: Path) -> int:
    """One BibTeX entry per paper (arXiv id, authors, year, title, URL); returns how many."""
    from bibtexparser.bibdatabase import BibDatabase
    from bibtexparser.bwriter import BibTexWriter

    from ft.core.urls import arxiv_id

    database, taken = BibDatabase(), set()
    for item in lib.items(kind="paper", limit=None):
        authors = item.meta.get("authors") or [a.strip() for a in (item.author or "").split(",") if a.strip()]
        entry = {"ENTRYTYPE": "misc", "ID": _cite_key(item, taken), "title": "{" + _bib(item.title or item.source_id) + "}"}
        if authors:
            entry["author"] = " and ".join(_bib(a) for a in authors)
        if (item.created_at or "")[:4].isdigit():
            entry["year"] = item.created_at[:4]
        if item.url:
            entry["url"] = item.url
        found = arxiv_id(item.url or "") or (item.source_id if item.source == "arxiv" else None)
        if found:
            entry.update(eprint=found, archiveprefix="arXiv")
        entry["note"] = f"ft://item/{item.id}"
        database.entries.append(entry)
    writer = BibTexWriter()
    writer.order_entries_by = ("ID",)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(writer.write(database))
    return len(database.entries)
