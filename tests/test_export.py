"""``ft export`` as an Obsidian-style vault and BibTeX, and ``ft digest`` in Markdown, JSON and a
real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
XSS = "<img src=x onerror=alert(1)> Sourdough starters"


def ft(home: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "ft.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "FT_HOME": str(home)}, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def home(demo_copy, tmp_path_factory) -> Path:
    home = demo_copy("export")
    hostile = tmp_path_factory.mktemp("hostile") / "x.md"
    hostile.write_text(f"# {XSS}\n\nThe page said {XSS} and nothing else. Feed the starter twice a day at 1:5:5 "
                       "and keep it warm.\n---\nnot: front matter\n")
    ft(home, "add", str(hostile))
    found = next(hit for hit in json.loads(ft(home, "search", "Sourdough", "--mode", "keyword", "--json").stdout)
                 if hit["title"] == XSS)
    for item_id, label in ((1, "tool"), (2, "paper"), (3, "tool"), (found["id"], "tutorial")):
        ft(home, "label", str(item_id), label, "-T", "kind")
    return home


def front_matter(note: Path) -> dict:
    text = note.read_text()
    assert text.startswith("---\n"), note
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_markdown_vault_opens_like_an_obsidian_vault(home: Path, tmp_path: Path):
    vault = tmp_path / "vault"
    report = json.loads(ft(home, "export", "--md", str(vault), "--json").stdout)["markdown"]
    items = json.loads(ft(home, "list", "--json", "--limit", "1000").stdout)
    notes = sorted((vault / "items").glob("*.md"))
    assert len(notes) == len(items) == report["written"] - len(list((vault / "labels").glob("*.md"))) - 1
    by_id = {front_matter(note)["id"]: front_matter(note) for note in notes}
    assert set(by_id) == {i["id"] for i in items}
    assert all({"id", "title", "source", "kind"} <= set(meta) for meta in by_id.values())
    assert by_id[1]["labels"] == ["tool"] and "tool" in by_id[1]["tags"]
    names = {p.stem for p in vault.rglob("*.md")}
    links = [link for p in vault.rglob("*.md") for link in re.findall(r"\[\[([^\]|]+)", p.read_text())]
    assert links and all(link in names for link in links), sorted(set(links) - names)
    assert {"label tool", "label paper"} <= {p.stem for p in (vault / "labels").glob("*.md")}
    hostile = next(p for p in notes if "Sourdough" in p.name)
    body = hostile.read_text().split("---\n", 2)[2]
    assert "<img" not in body and "&lt;img" in body  # Markdown viewers render HTML: escaped in the body
    assert front_matter(hostile)["title"] == XSS  # the text itself is kept, as data


def test_changed_rewrites_only_what_changed(home: Path, tmp_path: Path):
    vault = tmp_path / "vault"
    ft(home, "export", "--md", str(vault))
    before = {p: p.stat().st_mtime_ns for p in vault.rglob("*.md")}
    ft(home, "label", "4", "opinion", "-T", "kind")
    report = json.loads(ft(home, "export", "--md", str(vault), "--changed", "--json").stdout)["markdown"]
    # item 4's note, the new label's index note and the vault index
    assert report["written"] == 3 and report["removed"] == 0
    changed = [p for p, mtime in before.items() if p.stat().st_mtime_ns != mtime]
    assert [p.name for p in changed if p.parent.name == "items"] == [next(p.name for p in before if p.name.startswith("4 "))]


def test_bibtex_parses_with_one_entry_per_paper(home: Path, tmp_path: Path):
    import bibtexparser

    path = tmp_path / "papers.bib"
    ft(home, "export", "--bibtex", str(path))
    papers = json.loads(ft(home, "list", "--kind", "paper", "--json", "--limit", "1000").stdout)
    entries = bibtexparser.loads(path.read_text()).entries
    assert papers and len(entries) == len(papers)
    assert {e["note"] for e in entries} == {f"ft://item/{p['id']}" for p in papers}
    assert all(e["title"] and e["ID"] for e in entries)


def test_digest_groups_with_cited_sentences(home: Path):
    digest = json.loads(ft(home, "digest", "--since", "30d", "--json").stdout)
    assert digest["items"] > 0 and len(digest["groups"]) >= 2
    for group in digest["groups"]:
        assert group["name"] and group["items"]
        assert group["sentences"] and all(s["citations"] for s in group["sentences"])
    markdown = ft(home, "digest", "--since", "30d").stdout
    assert markdown.startswith("# What you saved since") and re.search(r"\[\d+:\d+\]", markdown)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make installs it)")
def test_digest_html_is_offline_and_hostile_titles_stay_text(home: Path, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    page_path = tmp_path / "digest.html"
    ft(home, "digest", "--since", "30d", "--by", "label", "--html", str(page_path))
    requests, dialogs = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(page_path.as_uri())
        headings = page.locator("h2").all_text_contents()
        text = page.text_content("body")
        images = page.locator("img").count()
        browser.close()
    assert len(headings) >= 2 and "starter" in text.lower()
    assert "<img src=x onerror=alert(1)>" in text  # shown as text
    assert images == 0 and dialogs == []
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), requests
