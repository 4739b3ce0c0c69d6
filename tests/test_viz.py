"""The dashboard, the map of ideas in a real headless Chromium, the PNG, and cluster coherence."""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

import ft
from ft.tasks.ideamap import build_map
from ft.tasks.mapdraw import to_html, to_png
from index import Record

ROOT = Path(__file__).resolve().parents[1]
XSS = "<img src=x onerror=alert(1)>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def viz_home(demo_library, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("viz") / "home"
    shutil.copytree(demo_library, home)
    return home


@pytest.fixture(scope="module")
def idea(viz_home, embedder, local_engine):
    with ft.Library(viz_home, embedder=embedder) as lib:
        lib.add(Record("t", "xss", title=XSS, text="An item whose title tries to run script in the map.",
                       url="javascript:alert(2)"))
        return build_map(lib, lambda: local_engine)


def test_map_data_has_every_item_and_named_clusters(idea, viz_home):
    with ft.Library(viz_home) as lib:
        ids = {item.id for item in lib.items(limit=None)}
    assert {p.id for p in idea.points} == ids and len(idea.points) == len(ids) and len(idea.clusters) >= 3
    assert {p.cluster for p in idea.points} == {c["name"] for c in idea.clusters}
    assert all(c["name"] in c["description"].split(", ") for c in idea.clusters)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make installs it)")
def test_html_map_in_headless_chromium(idea, tmp_path):
    from playwright.sync_api import sync_playwright

    page_path = to_html(idea, tmp_path / "map.html")
    requests, dialogs = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(page_path.as_uri())
        page.wait_for_selector(".scatterlayer .points path")
        points = page.query_selector_all(".scatterlayer .points path")
        assert len(points) == len(idea.points)
        xss = next(p for p in idea.points if p.title == XSS)
        trace = sorted({p.cluster for p in idea.points}).index(xss.cluster)
        members = [p for p in idea.points if p.cluster == xss.cluster]
        handle = page.query_selector_all(".scatterlayer .trace")[trace].query_selector_all(".points path")[members.index(xss)]
        handle.hover(force=True)
        page.wait_for_selector(".hoverlayer .hovertext", timeout=5000)
        hover = page.text_content(".hoverlayer")
        page.fill("#ft-search", "sourdough")
        page.wait_for_timeout(300)
        browser.close()
    assert XSS in hover  # shown as text
    assert dialogs == []  # and never run
    assert all(url.startswith(("file:", "data:", "blob:", "about:")) for url in requests), requests


def test_png_is_written_with_several_colours(idea, tmp_path):
    from PIL import Image

    path = to_png(idea, tmp_path / "map.png")
    assert path.stat().st_size > 20_000
    colours = Image.open(path).convert("RGB").getcolors(1_000_000)
    vivid = {c for n, c in colours if n > 200 and max(c) - min(c) > 60}  # saturated, not grey
    assert len(vivid) >= 3


def test_clusters_are_coherent_with_labels(demo_library, embedder, local_engine):
    with ft.Library(demo_library, embedder=embedder) as lib:
        truth = {json.loads(line)["title"]: json.loads(line)["label"] for line in (ROOT / "demo" / "labels.jsonl").read_text().splitlines()}
        idea = build_map(lib, lambda: local_engine)
    labelled = [(truth[p.title], p.cluster) for p in idea.points if p.title in truth]
    labels, clusters = [label for label, _ in labelled], [cluster for _, cluster in labelled]
    together = _together(labels, clusters)
    rng = random.Random(0)
    chance = [_together(labels, rng.sample(clusters, len(clusters))) for _ in range(200)]
    print(f"items sharing the cluster of most of their label: {together:.2f} (shuffled clusters: at most {max(chance):.2f})")
    # 0.54-0.63 as two or three of the demo X dump's posts are split one way or another, so the
    # bar is chance: better than every shuffle of the same clusters (0.35 on average, 0.46 at most)
    assert together > max(chance)


def _together(labels: list[str], clusters: list[str]) -> float:
    """The share of items in the cluster that holds most of their label's items."""
    by_label: dict[str, Counter] = {}
    for label, cluster in zip(labels, clusters):
        by_label.setdefault(label, Counter())[cluster] += 1
    return sum(c.most_common(1)[0][1] for c in by_label.values()) / len(labels)


def test_dashboard_and_timeline_json(cli, tmp_path):
    (tmp_path / "a.md").write_text("# A\n\nsee https://arxiv.org/abs/2401.00001")
    cli("add", str(tmp_path / "a.md"))
    data = json.loads(cli("viz", "--json").stdout)
    assert data["items"] == 1 and data["top_domains"] == {"arxiv.org": 1}
    assert data["forgotten_gems"][0]["title"] == "A"
    cli("show", "1")
    assert json.loads(cli("viz", "--json").stdout)["forgotten_gems"] == []  # opened: no longer forgotten
    months = json.loads(cli("viz", "timeline", "--json").stdout)
    assert sum(sum(m.values()) for m in months.values()) == 1
