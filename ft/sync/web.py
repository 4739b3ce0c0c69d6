"""``ft add URL`` and ``ft add arxiv:ID``: pages and papers fetched on request.

A page becomes an item of its readable text (trafilatura); an arXiv paper
becomes an item with its title, authors and abstract from the arXiv API (Atom)
and the full text of its PDF. ``attach_papers`` finds arXiv links in any item
— a bookmark, a post, a page — and attaches each paper as its own item,
linked both ways (``mentions_paper``). Base URLs are configuration, so the
tests point them at servers on 127.0.0.1.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trafilatura

from ft.core.errors import SourceError
from ft.core.report import Report
from ft.core.urls import arxiv_id, canonical_url
from index.records import Record
from index.store import item_id_of, link_to, source_texts
from index.sync_state import follow, following, touch

from .fetch import Fetcher

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["Endpoints", "attach_papers", "fetch", "fetch_page", "fetch_paper", "sync_watches", "watch"]

_ATOM = {"a": "http://www.w3.org/2005/Atom"}
_ARXIV_LINK = re.compile(r"(?:arxiv\.org/(?:abs|pdf|html)/|arxiv:)\S+", re.I)


@dataclass
class Endpoints:
    arxiv_api: str = "https://export.arxiv.org/api/query"
    arxiv: str = "https://arxiv.org"


def fetch_page(fetcher: Fetcher, url: str) -> Record:
    got = fetcher.get(url)
    if got.status >= 400:
        raise SourceError(url, f"HTTP {got.status}")
    if "pdf" in got.content_type or got.body[:5] == b"%PDF-":
        from pypdf import PdfReader

        text = "\n\n".join((p.extract_text() or "").strip() for p in PdfReader(io.BytesIO(got.body)).pages)
        title = next((line for line in text.splitlines() if line.strip()), url)
        return Record("web", canonical_url(got.url), text, title=title[:200], kind="document", url=canonical_url(got.url))
    html = got.body.decode("utf-8", errors="replace")
    text = trafilatura.extract(html, favor_recall=True) or trafilatura.html2txt(html)
    if not text or not text.strip():
        raise SourceError(url, "the page has no readable text")
    meta = trafilatura.extract_metadata(html)
    return Record("web", canonical_url(got.url), text.strip(), title=(meta.title if meta and meta.title else url)[:200],
                  kind="page", url=canonical_url(got.url), author=meta.author if meta and meta.author else None,
                  meta={"fetched_from": url})


def fetch_paper(fetcher: Fetcher, endpoints: Endpoints, paper: str) -> Record:
    """The arXiv paper named by an id, ``arxiv:ID`` or an abs/pdf URL of any version."""
    found = arxiv_id(paper) or (paper if re.fullmatch(r"\d{4}\.\d{4,5}", paper) else None)
    if not found:
        raise SourceError(paper, "not an arXiv id or link")
    got = fetcher.get(f"{endpoints.arxiv_api}?id_list={found}")
    try:
        entry = ET.fromstring(got.body).find("a:entry", _ATOM)
    except ET.ParseError as exc:
        raise SourceError(paper, f"the arXiv API answered with something that is not Atom ({exc})") from exc
    if entry is None or entry.find("a:title", _ATOM) is None:
        raise SourceError(paper, "arXiv has no such paper")
    title = " ".join((entry.findtext("a:title", "", _ATOM)).split())
    abstract = " ".join((entry.findtext("a:summary", "", _ATOM)).split())
    authors = [a.findtext("a:name", "", _ATOM) for a in entry.findall("a:author", _ATOM)]
    published = entry.findtext("a:published", None, _ATOM)
    body = ""
    pdf = fetcher.get(f"{endpoints.arxiv}/pdf/{found}")
    if pdf.status < 400 and pdf.body[:5] == b"%PDF-":
        from pypdf import PdfReader

        body = "\n\n".join((p.extract_text() or "").strip() for p in PdfReader(io.BytesIO(pdf.body)).pages)
    return Record("arxiv", found, f"{abstract}\n\n{body}".strip(), title=title, kind="paper",
                  url=f"https://arxiv.org/abs/{found}", author=", ".join(authors) or None, created_at=published,
                  meta={"authors": authors, "abstract": abstract, "pdf_pages": body.count("\f") + 1 if body else 0})


def fetch(fetcher: Fetcher, endpoints: Endpoints, target: str) -> Record:
    """What ``ft add`` makes of a URL: a paper for ``arxiv:ID`` and arxiv.org links, else the page's readable text."""
    if target.startswith("arxiv:") or "arxiv.org/" in target:
        return fetch_paper(fetcher, endpoints, target)
    return fetch_page(fetcher, target)


def attach_papers(lib: Library, fetcher: Fetcher, endpoints: Endpoints) -> Report:
    """Fetch every arXiv paper items link to and link them both ways; a paper that cannot be fetched is one problem."""
    wanted: dict[str, list[tuple[str, str]]] = {}
    for source, source_id, url, text, meta in source_texts(lib.db, exclude="arxiv"):
        for hit in _ARXIV_LINK.findall(" ".join(filter(None, [url, text, meta]))):
            if found := arxiv_id(hit):
                wanted.setdefault(found, []).append((source, source_id))
    report = Report("papers")
    for paper, citing in wanted.items():
        if item_id_of(lib.db, "arxiv", paper) is None:
            try:
                report.added += lib.add(fetch_paper(fetcher, endpoints, paper)).added
            except SourceError as exc:
                report.fail(str(exc))
                continue
        for source, source_id in citing:
            citing_id = item_id_of(lib.db, source, source_id)
            if citing_id is not None:
                link_to(lib.db, citing_id, "arxiv", paper, "mentions_paper")
    return report


def watch(lib: Library, query: str) -> None:
    """Follow an arXiv search query (``cat:cs.CL AND abs:speculative``): ``ft sync papers`` fetches new matches."""
    follow(lib.db, f"papers:{query}")


def sync_watches(lib: Library, fetcher: Fetcher, endpoints: Endpoints, newest: int = 50) -> Report:
    """Fetch each watched query's newest matches not yet stored, with their PDFs."""
    from urllib.parse import quote

    report = Report("papers")
    for key in following(lib.db, "papers:"):
        query = key.removeprefix("papers:")
        try:
            got = fetcher.get(f"{endpoints.arxiv_api}?search_query={quote(query)}&sortBy=submittedDate"
                              f"&sortOrder=descending&max_results={newest}")
            entries = ET.fromstring(got.body).findall("a:entry", _ATOM)
        except (SourceError, ET.ParseError) as exc:
            report.fail(f"papers {query!r}: {exc}")
            continue
        for entry in entries:
            found = arxiv_id(entry.findtext("a:id", "", _ATOM))
            if not found or item_id_of(lib.db, "arxiv", found) is not None:
                continue
            try:
                report.added += lib.add(fetch_paper(fetcher, endpoints, found)).added
            except SourceError as exc:
                report.fail(str(exc))
        touch(lib.db, key)
    return report
