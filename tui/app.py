"""The textual app: a sidebar of sources and labels, the item list, and a reader.

Attributes go down, messages come up: the app owns the library and the current
filter; widgets report choices with their own messages. Anything slow — search,
summaries, answers, classification — runs in a thread worker with its own
library connection (SQLite in WAL mode lets it read while a sync writes) and
paints through ``call_from_thread``, so the interface never waits on it.
"""

from __future__ import annotations

import gc
import webbrowser
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option
from rich.text import Text

from ft.core.errors import FtError
from ft.library import Library
from index import Filters, Item
from index.embed import Embedder
from index.overview import data_version

from .screens import HelpScreen, PromptScreen

__all__ = ["FtApp", "make_app"]

ICONS = {"x": "𝕏", "telegram": "✈", "blog": "✎", "youtube": "▶", "captions": "▶", "web": "🌐", "pdf": "📄", "notes": "🗒"}
PAGE = 200  # rows fetched at a time; more are fetched as the cursor nears the end, so 100k items scroll


class FtApp(App):
    """Browse, search, read, label and summarize a library."""

    CSS_PATH = "app.tcss"
    TITLE = "ft"
    BINDINGS = [
        Binding("/", "focus_search", "Search"),
        Binding("s", "summarize", "Summarize"),
        Binding("a", "ask", "Ask"),
        Binding("l", "label", "Label"),
        Binding("c", "classify", "Classify"),
        Binding("o", "open_link", "Open"),
        Binding("y", "copy", "Copy"),
        Binding("r", "mark_read", "Read", show=False),
        Binding("d", "delete", "Delete", show=False),
        Binding("u", "undo", "Undo", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, library: Path | str | None = None, embedder: Embedder | None = None) -> None:
        super().__init__()
        self.lib = Library(library, embedder=embedder)
        self.filters = Filters()
        self.query = ""
        self.current: Item | None = None
        self.undo: list[dict] = []
        self.row_ids: list[int] = []
        self.more = False  # whether another page of the list is waiting

    # -- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield OptionList(id="sidebar")
            with Vertical(id="middle"):
                yield Input(placeholder="search your library… (/)", id="search")
                yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="reader"):
                yield Static("Pick an item to read it. Press ? for help.", id="text")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#items", DataTable)
        # Fixed widths: the table then never measures 500 rows' cells on the UI loop.
        for name, width in (("", 2), ("title", 56), ("author", 18), ("date", 10), ("labels", 16)):
            table.add_column(name, width=width)
        self.refresh_sidebar()
        self.show_items(self.lib.items(self.filters, limit=PAGE))  # the first screen at once, not after a worker
        table.focus()
        # Everything loaded so far lives as long as the app: keep it out of the collector's way, so a
        # full collection never stops the interface for a few hundred milliseconds.
        gc.freeze()
        self._version = self._data_version()
        self.set_interval(1.0, self.follow_changes)

    def _data_version(self) -> int:
        return data_version(self.lib.db)

    def follow_changes(self) -> None:
        """Show what another process (a sync, an import) wrote, once a second at most."""
        version = self._data_version()
        if version != self._version:
            self._version = version
            self.refresh_sidebar()
            self.refresh_items()

    @property
    def reader(self) -> Static:
        return self.query_one("#text", Static)

    def status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    # -- the list ----------------------------------------------------------------------

    def refresh_sidebar(self) -> None:
        stats = self.lib.stats()
        entries = [(f"All items ({stats.items})", "all")]
        entries += [(f"{ICONS.get(source, '•')} {source} ({n})", f"source:{source}") for source, n in stats.by_source.items()]
        entries += [(f"# {label} ({n})", f"label:{label}") for label, n in stats.by_label.items()]
        if entries == getattr(self, "_sidebar", None):
            return  # unchanged: no relayout
        self._sidebar = entries
        sidebar = self.query_one("#sidebar", OptionList)
        sidebar.clear_options()
        sidebar.add_options([Option(prompt, id=key) for prompt, key in entries])

    def refresh_items(self) -> None:
        """Reload the list for the current query and filter, reading in a worker thread."""
        if self.query:
            self.search(self.query, self.filters)
        else:
            self.load(self.filters)

    @work(exclusive=True, thread=True, group="list")
    def load(self, filters: Filters, offset: int = 0) -> None:
        with self.lib.for_thread() as lib:
            items = lib.items(filters, limit=PAGE, offset=offset)
        self.call_from_thread(self.show_items, items, offset > 0)

    def show_items(self, items: list[Item], append: bool = False) -> None:
        table = self.query_one("#items", DataTable)
        rows = [(Text(ICONS.get(item.source, "•")), Text(item.title[:80]), Text((item.author or "")[:20]),
                 Text((item.date or "")[:10]), Text(", ".join(item.labels))) for item in items]  # Text: no markup parsing
        with table.prevent(DataTable.RowHighlighted):  # a reload must not open another item
            if not append:
                table.clear()
                self.row_ids = []
            self.row_ids += [item.id for item in items]
            table.add_rows(rows)
            if not append and self.current and self.current.id in self.row_ids:
                table.move_cursor(row=self.row_ids.index(self.current.id))
        self.more = len(items) == PAGE and not self.query
        self.status(f"{len(self.row_ids)}{'+' if self.more else ''} items" + (f" for “{self.query}”" if self.query else ""))

    @work(exclusive=True, thread=True, group="search")
    def search(self, query: str, filters: Filters) -> None:
        with self.lib.for_thread() as lib:  # shares the loaded models
            try:
                hits = lib.search(query, filters, limit=200)
            except FtError as exc:
                self.call_from_thread(self.status, str(exc))
                return
        if query == self.query:  # a newer query may have started meanwhile
            self.call_from_thread(self.show_items, [hit.item for hit in hits])

    @on(Input.Changed, "#search")
    def typed(self, event: Input.Changed) -> None:
        self.query = event.value.strip()
        self.set_timer(0.25, lambda value=self.query: value == self.query and self.refresh_items())

    @on(Input.Submitted, "#search")
    def submitted(self) -> None:
        self.query_one("#items", DataTable).focus()

    @on(OptionList.OptionSelected, "#sidebar")
    def filtered(self, event: OptionList.OptionSelected) -> None:
        kind, _, value = (event.option.id or "all").partition(":")
        self.filters = Filters(source=value) if kind == "source" else Filters(label=value) if kind == "label" else Filters()
        self.refresh_items()

    @on(DataTable.RowHighlighted, "#items")
    @on(DataTable.RowSelected, "#items")
    def opened(self, event) -> None:
        if 0 <= event.cursor_row < len(self.row_ids):
            self.open_item(self.row_ids[event.cursor_row])
        if self.more and event.cursor_row >= len(self.row_ids) - 20:
            self.more = False
            self.load(self.filters, len(self.row_ids))  # the next page, before the cursor gets there

    def open_item(self, item_id: int) -> None:
        from ft.tasks.reading import stored_summary

        try:
            item = self.lib.get(item_id)
        except FtError:
            return
        self.current = item
        links = self.lib.links(item_id)
        summary = stored_summary(self.lib, item_id)
        parts = [f"[b]{_escape(item.title)}[/b]", f"[dim]#{item.id} · {item.source} · {item.kind} · "
                 f"{_escape(item.author or '')} · {(item.date or '')[:10]}[/dim]"]
        if item.url:
            parts.append(f"[u]{_escape(item.url)}[/u]")
        if item.labels:
            parts.append("labels: " + _escape(", ".join(item.labels)))
        parts += [f"{'→' if d == 'out' else '←'} {rel}: #{o.id} {_escape(o.title)}" for rel, d, o in links]
        if summary:
            parts += ["", "[b]Summary[/b]", _escape(summary)]
        parts += ["", _escape(item.text)]
        self.reader.update("\n".join(parts))

    # -- actions -----------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_summarize(self) -> None:
        if self.current:
            self.reader.update(f"[b]Summary of {_escape(self.current.title)}[/b]\n")
            self.summarize(self.current.id)

    @work(exclusive=True, thread=True, group="llm")
    def summarize(self, item_id: int) -> None:
        from textual.worker import get_current_worker

        from ft.tasks.reading import summarize

        lines: list[str] = []
        worker = get_current_worker()

        def arrived(sentence: str, notes) -> None:
            if worker.is_cancelled:
                raise KeyboardInterrupt
            lines.append(f"• {_escape(sentence)} [dim]{' '.join(n.cite for n in notes)}[/dim]")
            self.call_from_thread(self.reader.update, "[b]Summary[/b]\n" + "\n".join(lines))

        with self.lib.for_thread() as lib:  # shares the loaded models
            summarize(lib, [item_id], subject=f"item:{item_id}", on_sentence=arrived)
        self.call_from_thread(self.status, "summary stored; it shows with the item from now on")

    def action_ask(self) -> None:
        def asked(question: str | None) -> None:
            if question:
                self.reader.update(f"[b]{_escape(question)}[/b]\n")
                self.ask(question, [self.current.id] if self.current else None)

        self.push_screen(PromptScreen("**Ask** (about the open item; empty scope = whole library)", "a question"), asked)

    @work(exclusive=True, thread=True, group="llm")
    def ask(self, question: str, scope: list[int] | None) -> None:
        from ft.tasks.reading import ask

        with self.lib.for_thread() as lib:  # shares the loaded models
            try:
                result = ask(lib, question, Filters(ids=scope))
            except FtError as exc:
                self.call_from_thread(self.status, str(exc))
                return
        self.call_from_thread(self.reader.update, f"[b]{_escape(question)}[/b]\n" + _escape(result.text))

    def action_label(self) -> None:
        if not self.current:
            return
        item_id = self.current.id

        def chosen(label: str | None) -> None:
            if label:
                from ft.tasks.classify import set_label

                try:
                    set_label(self.lib, item_id, self._taxonomy(label), label)
                except FtError as exc:
                    self.status(str(exc))
                    return
                self.status(f"#{item_id} labelled {label}")
                self.refresh_sidebar()
                self.open_item(item_id)

        self.push_screen(PromptScreen("**Label** this item (topic)", "a label"), chosen)

    def _taxonomy(self, label: str):
        from ft.tasks.taxonomy import Label, Taxonomy, load_taxonomies
        from index.labels import label_names

        found = load_taxonomies(self.lib.settings).get("topic")
        if found and label in found.names:
            return found
        known = sorted(label_names(self.lib.db, "topic") | {label})
        return Taxonomy("topic", tuple(Label(name) for name in known))

    def action_classify(self) -> None:
        if self.current:
            self.classify(self.current.id)

    @work(exclusive=True, thread=True, group="llm")
    def classify(self, item_id: int) -> None:
        from ft.tasks.classify import suggest
        from ft.tasks.taxonomy import load_taxonomies

        with self.lib.for_thread() as lib:  # shares the loaded models
            taxonomy = load_taxonomies(lib.settings).get("topic") or load_taxonomies(lib.settings)["kind"]
            decision = suggest(lib, item_id, taxonomy)
        self.call_from_thread(self.status, f"#{item_id} looks like {taxonomy.name}/{decision.label} "
                                           f"({decision.score:.0%}); press l to set it")

    def action_open_link(self) -> None:
        url = self.current.url if self.current else None
        if url and url.startswith(("http://", "https://")):
            webbrowser.open(url)
            self.status(f"opened {url}")

    def action_copy(self) -> None:
        if self.current:
            item = self.current
            markdown = f"## {item.title}\n\n{item.url or ''}\n\n{item.text}\n"
            self.copy_to_clipboard(markdown)
            self.status("copied as Markdown")

    def action_mark_read(self) -> None:
        if self.current:
            self.lib.mark_opened(self.current.id)
            self.status(f"#{self.current.id} marked read")

    def action_delete(self) -> None:
        if self.current:
            self.undo.append(self.lib.delete(self.current.id))
            self.status(f"deleted #{self.current.id}; u undoes")
            self.current = None
            self.reader.update("")
            self.refresh_sidebar()
            self.refresh_items()

    def action_undo(self) -> None:
        if self.undo:
            snapshot = self.undo.pop()
            self.lib.restore(snapshot)
            self.status(f"restored #{snapshot['items'][0]['id']}")
            self.refresh_sidebar()
            self.refresh_items()

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for name, action, help in (
            ("Search", self.action_focus_search, "Search by keywords and meaning"),
            ("Summarize", self.action_summarize, "Summarize the open item with citations"),
            ("Ask", self.action_ask, "Ask a question about the open item"),
            ("Label", self.action_label, "Set the open item's label"),
            ("Classify", self.action_classify, "Suggest a label for the open item"),
            ("Open link", self.action_open_link, "Open the item's URL in the browser"),
            ("Copy as Markdown", self.action_copy, "Copy the open item"),
            ("Mark read", self.action_mark_read, "Mark the open item read"),
            ("Delete", self.action_delete, "Delete the open item (u undoes)"),
            ("Undo delete", self.action_undo, "Restore the last deleted item"),
            ("Keys", self.action_help, "Show every key"),
        ):
            yield SystemCommand(name, help, action)

    def on_unmount(self) -> None:
        self.lib.close()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def make_app(library: Path | str | None = None, embedder: Embedder | None = None) -> FtApp:
    """The app for a library: used by ``ft tui`` and by the tests (which hand it a loaded embedder)."""
    return FtApp(library, embedder)
