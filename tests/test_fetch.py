"""Fetching pages and papers from servers on 127.0.0.1, and what fetching refuses."""

from __future__ import annotations

import json

import pytest
from fpdf import FPDF

import ft
from ft.core.errors import SourceError
from ft.sync.fetch import Fetcher
from tests.documents import ATOM_FEED, RSS
from tests.servers import Handler, serving

ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <entry>
    <id>http://arxiv.org/abs/2512.24601v2</id>
    <published>2025-12-30T18:00:00Z</published>
    <title>Recursive Language Models</title>
    <summary>We let a language model call itself over pieces of a long context held outside its window.</summary>
    <author><name>Alex Zhang</name></author><author><name>Omar Khattab</name></author>
  </entry>
</feed>"""
PAGE = """<!DOCTYPE html><html><head><title>Why prefix caching matters</title>
<meta name="author" content="Ruth"></head><body><nav>home</nav><article><h1>Why prefix caching matters</h1>
<p>When every request starts with the same system prompt, evaluating it once and copying its keys and values
saves most of the time to first token for short answers.</p><p>It needs byte-identical prefixes.</p></article></body></html>"""


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Recursive Language Models. Section 3: the controller keeps a variable store and "
                         "spawns sub-calls over zebrafish-sized chunks.")
    return bytes(pdf.output())



class Fake(Handler):
    pdf = _pdf()
    feed_requests: list[str] = []
    searches: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        if self.path in ("/rss.xml", "/atom.xml"):
            Fake.feed_requests.append(self.path)
            if self.headers.get("if-none-match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            body = (RSS if self.path == "/rss.xml" else ATOM_FEED).encode()
            self.send_response(200)
            self.send_header("content-type", "application/xml")
            self.send_header("etag", '"v1"')
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/api/query?search_query="):
            Fake.searches.append(self.path)
            routes = {self.path: (200, "application/atom+xml", ATOM.encode())}
        else:
            routes = {}
        routes |= {
            "/page.html": (200, "text/html", PAGE.encode()),
            "/api/query?id_list=2512.24601": (200, "application/atom+xml", ATOM.encode()),
            "/pdf/2512.24601": (200, "application/pdf", self.pdf),
        }
        if self.path == "/to-metadata":
            return self.redirect(302, "http://169.254.169.254/latest/meta-data")
        if self.path == "/to-page":
            return self.redirect(301, "/page.html")
        status, kind, body = routes.get(self.path, (404, "text/plain", b"no"))
        self.reply(status, body, kind)


@pytest.fixture(scope="module")
def server():
    with serving(Fake) as httpd:
        yield f"http://127.0.0.1:{httpd.server_port}"


@pytest.fixture
def configured(ft_home, server):
    ft_home.mkdir(parents=True, exist_ok=True)
    (ft_home / "config.json").write_text(json.dumps(
        {"network": {"allow_hosts": ["127.0.0.1"], "arxiv_api": f"{server}/api/query", "arxiv": server}}))
    return server


def test_add_a_page_and_a_paper(cli, configured):
    result = cli("add", f"{configured}/to-page", "arxiv:2512.24601v2")
    assert result.exit_code == 0, result.output
    items = {i["source"]: i for i in json.loads(cli("list", "--json").stdout)}
    assert items["web"]["title"] == "Why prefix caching matters" and "byte-identical" in items["web"]["text"]
    paper = items["arxiv"]
    assert (paper["source_id"], paper["title"], paper["url"]) == ("2512.24601", "Recursive Language Models", "https://arxiv.org/abs/2512.24601")
    assert "zebrafish" in paper["text"] and paper["author"] == "Alex Zhang, Omar Khattab"


def test_a_bookmark_to_a_versioned_pdf_gets_one_searchable_paper(cli, configured, tmp_path):
    bookmarks = {"roots": {"bookmark_bar": {"name": "bar", "type": "folder", "children": [
        {"type": "url", "name": "RLM paper", "url": "https://arxiv.org/pdf/2512.24601v2"},
        {"type": "url", "name": "RLM again", "url": "https://arxiv.org/abs/2512.24601v1?utm_source=x"}]}}, "version": 1}
    (tmp_path / "Bookmarks").write_text(json.dumps(bookmarks))
    assert cli("add", str(tmp_path / "Bookmarks")).exit_code == 0
    assert cli("papers", "attach").stdout.strip() == "1 papers attached"
    assert cli("papers", "attach").stdout.strip() == "0 papers attached"
    with ft.Library() as lib:
        papers = lib.items(source="arxiv")
        assert len(papers) == 1
        bookmark = lib.items(source="bookmarks")[0]
        assert [(rel, d, o.source_id) for rel, d, o in lib.links(bookmark.id)] == [("mentions_paper", "out", "2512.24601")]
        assert [(rel, d) for rel, d, _ in lib.links(papers[0].id)] == [("mentions_paper", "in")]
        for words in ("recursive language", "variable store", "outside its window"):
            assert lib.search(words, mode="keyword")[0].item.source == "arxiv", words


@pytest.mark.parametrize("url, why", [
    ("file:///etc/passwd", "only http and https"),
    ("ftp://example.org/x", "only http and https"),
    ("http://127.0.0.1:1/", "private, loopback or link-local"),
    ("http://localhost:1/", "private, loopback or link-local"),
    ("http://[::1]:1/", "private, loopback or link-local"),
    ("http://10.1.2.3/", "private, loopback or link-local"),
    ("http://169.254.169.254/latest", "private, loopback or link-local"),
])
def test_refused_targets(url, why):
    with pytest.raises(SourceError, match=why):
        Fetcher().get(url)


def test_a_redirect_is_checked_again(server):
    fetcher = Fetcher(allow_hosts=("127.0.0.1",))
    assert fetcher.get(f"{server}/to-page").status == 200
    with pytest.raises(SourceError, match="169.254.169.254.*link-local"):
        fetcher.get(f"{server}/to-metadata")


def test_failed_fetches_are_one_line_each(cli, configured):
    result = cli("add", f"{configured}/missing.html", "arxiv:9999.99999", f"{configured}/page.html")
    assert result.exit_code == 3
    lines = [line for line in result.stderr.splitlines() if line.startswith("✗")]
    assert len(lines) == 2 and "HTTP 404" in lines[0]


def test_feeds_from_opml_sync_incrementally(cli, configured, tmp_path):
    (tmp_path / "feeds.opml").write_text(f"""<?xml version="1.0"?><opml version="2.0"><body>
      <outline text="kernels" type="rss" xmlUrl="{configured}/rss.xml"/>
      <outline text="bread" type="rss" xmlUrl="{configured}/atom.xml"/>
      <outline text="bad" type="rss" xmlUrl="javascript:alert(1)"/></body></opml>""")
    added = cli("add", str(tmp_path / "feeds.opml"))
    assert added.exit_code == 3 and "not http(s)" in added.stderr  # the bad outline, one line; the rest followed
    assert len(json.loads(cli("feeds", "list", "--json").stdout)) == 2
    first = json.loads(cli("sync", "feeds", "--json").stdout)
    assert first == [{"source": "feeds", "new": 3, "updated": 0, "skipped": 0, "failed": 0, "problems": []}]
    second = json.loads(cli("sync", "feeds", "--json").stdout)
    assert second[0]["new"] == 0 and second[0]["skipped"] == 2, second  # two 304s
    with ft.Library() as lib:
        entry = next(i for i in lib.items(source="feed") if i.title == "Tiling a matmul")
        assert entry.text == "Shared memory tiles cut global reads." and entry.url == "https://kernels.example/tiling"
        assert entry.created_at == "2025-01-06T10:00:00Z"


def test_sync_without_network_fails_fast_per_source_and_keeps_everything(cli, ft_home, tmp_path):
    (tmp_path / "n.md").write_text("# kept\n\nsee https://arxiv.org/abs/2401.00001")
    cli("add", str(tmp_path / "n.md"))
    cli("feeds", "add", "http://feeds.invalid/rss")
    result = cli("sync")
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("✗")]
    assert len(problems) == 2 and all("cannot resolve" in p or "refused" in p or "cannot fetch" in p for p in problems)
    assert "feeds" in result.stdout and "papers" in result.stdout  # both sources ran and were reported
    with ft.Library() as lib:
        assert [i.title for i in lib.items(source="notes")] == ["kept"]


def test_watched_arxiv_query(cli, configured):
    assert cli("papers", "watch", "cat:cs.CL AND abs:recursive").exit_code == 0
    (feeds, papers) = json.loads(cli("sync", "feeds", "papers", "--json").stdout)
    assert papers["new"] == 1 and papers["failed"] == 0
    assert "search_query=cat%3Acs.CL%20AND%20abs%3Arecursive" in Fake.searches[-1]
    (_, again) = json.loads(cli("sync", "feeds", "papers", "--json").stdout)
    assert again["new"] == 0
    assert [i["source_id"] for i in json.loads(cli("list", "--source", "arxiv", "--json").stdout)] == ["2512.24601"]
