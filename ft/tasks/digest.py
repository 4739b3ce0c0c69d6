"""``ft digest``: what was saved lately, grouped by topic, each group a few cited sentences.

Groups are the user's labels when the recent items carry them, else the map's
clusters (named by their distinctive words, no model needed). Each group's
sentences come from the same extractive, cited reader as ``ft summarize``, so
every sentence points at the item and span it came from. Then the papers, and
the items most linked to or from. Rendered as Markdown, or as one self-contained
HTML page in which every piece of saved text is escaped and nothing is fetched.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from index import Filters, Item

from ft.core.dates import parse_when

__all__ = ["Digest", "build_digest", "to_html", "to_markdown"]


@dataclass
class Sentence:
    text: str
    citations: list[dict]


@dataclass
class Group:
    name: str
    items: list[dict]  # {"id", "title", "url"}
    sentences: list[Sentence]


@dataclass
class Digest:
    since: str
    items: int
    grouped_by: str
    groups: list[Group] = field(default_factory=list)
    papers: list[dict] = field(default_factory=list)
    most_linked: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _brief(item: Item, **extra) -> dict:
    return {"id": item.id, "title": item.title or item.source_id, "url": item.url, **extra}


def _groups_by_label(items: list[Item]) -> dict[str, list[Item]]:
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        groups[item.labels[0] if item.labels else "unlabelled"].append(item)
    return groups


def _groups_by_cluster(lib, items: list[Item]) -> dict[str, list[Item]]:
    from .clusters import cluster_library

    clustering = cluster_library(lib, None)
    cluster_of = {item_id: clustering.clusters[int(c)].name for item_id, c in zip(clustering.ids, clustering.labels)}
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        groups[cluster_of.get(item.id, "other")].append(item)
    return groups


def build_digest(lib, since: str = "7d", sentences: int = 3, by: str = "auto") -> Digest:
    """The digest of the items saved since ``since`` (a date or a span like 7d); ``by`` is label,
    cluster, or auto: labels when the recent items carry them."""
    from .reading import summarize

    start = parse_when(since)
    recent = lib.items(Filters(saved_since=start), limit=None)
    if by == "auto":
        by = "label" if any(i.labels for i in recent) else "cluster"
    if by == "cluster" and lib.stats().items < 6:  # too few items to find topics in
        by = "label"
    digest = Digest(since=start or since, items=len(recent), grouped_by=by)
    if not recent:
        return digest
    groups = _groups_by_label(recent) if by == "label" else _groups_by_cluster(lib, recent)
    for name, members in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
        reading = summarize(lib, [m.id for m in members], sentences).to_dict()
        digest.groups.append(Group(name, [_brief(m) for m in members],
                                   [Sentence(s["text"], s["citations"]) for s in reading["sentences"]]))
    digest.papers = [_brief(i, authors=i.author) for i in recent if i.kind == "paper"]
    linked = sorted(((len(lib.links(i.id)), i) for i in recent), key=lambda p: (-p[0], p[1].id))
    digest.most_linked = [_brief(i, links=n) for n, i in linked[:5] if n]
    return digest


def _cites(citations: list[dict]) -> str:
    return "".join(f" [{c['item']}:{c['chunk']}]" for c in citations)


def to_markdown(digest: Digest) -> str:
    """The digest as Markdown: a heading per group, cited sentences, then papers and most-linked items."""
    lines = [f"# What you saved since {digest.since[:10]}", "",
             f"{digest.items} items, grouped by {digest.grouped_by}.", ""]
    if not digest.items:
        return "\n".join(lines[:2] + ["Nothing saved in that time.", ""])
    for group in digest.groups:
        lines += [f"## {group.name} ({len(group.items)})", ""]
        lines += [f"- {s.text}{_cites(s.citations)}" for s in group.sentences] + [""]
    if digest.papers:
        lines += ["## Papers", ""] + [f"- {p['title']} (#{p['id']})" + (f" — {p['authors']}" if p["authors"] else "")
                                      for p in digest.papers] + [""]
    if digest.most_linked:
        lines += ["## Most linked", ""] + [f"- {p['title']} (#{p['id']}, {p['links']} links)"
                                           for p in digest.most_linked] + [""]
    return "\n".join(lines)


_STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}li{margin:.3em 0}.cite{color:#777;font-size:.85em}"""


def _link(entry: dict) -> str:
    title = html.escape(entry["title"])
    url = entry.get("url") or ""
    if url.startswith(("http://", "https://")):
        return f'<a href="{html.escape(url)}" rel="noopener noreferrer">{title}</a>'
    return title


def to_html(digest: Digest, path: Path) -> Path:
    """One offline HTML page (no script, no external resource); every saved string escaped."""
    e = html.escape
    body = [f"<h1>What you saved since {e(digest.since[:10])}</h1>",
            f"<p>{digest.items} items, grouped by {e(digest.grouped_by)}.</p>"]
    for group in digest.groups:
        body.append(f"<h2>{e(group.name)} ({len(group.items)})</h2><ul>")
        body += [f'<li>{e(s.text)} <span class="cite">{e(_cites(s.citations).strip())}</span></li>'
                 for s in group.sentences]
        body.append("</ul>")
    if digest.papers:
        body.append("<h2>Papers</h2><ul>" + "".join(f"<li>{_link(p)}</li>" for p in digest.papers) + "</ul>")
    if digest.most_linked:
        body.append("<h2>Most linked</h2><ul>" + "".join(f"<li>{_link(p)} ({p['links']} links)</li>"
                                                         for p in digest.most_linked) + "</ul>")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = (f'<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
            f"content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>ft digest</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(body)}<footer class=\"cite\">made by ft on {stamp}</footer>"
            f"</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    return path
