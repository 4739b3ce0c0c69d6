"""The TUI driven by textual's Pilot on the demo library: search, filter, read, summarize,
label; snapshots of the main and help screens; and a sync writing while the UI refreshes."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

import ft
from index import Record
from tui import make_app


@pytest.fixture
def home(demo_library, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(demo_library, copy)
    return copy


async def _settle(app, pilot, seconds: float = 0.4) -> None:
    await pilot.pause(seconds)
    await app.workers.wait_for_complete()
    await pilot.pause(0.1)


async def test_search_filter_read_summarize_and_label(home, embedder):
    from ft.tasks.classify import set_label
    from ft.tasks.taxonomy import from_names

    with ft.Library(home) as lib:
        papers = [i.id for i in lib.items(source="pdf")]
        total = len(lib.items(limit=None))
        for item_id in papers:
            set_label(lib, item_id, from_names("topic", "inference,life"), "inference")
    app = make_app(home, embedder)
    async with app.run_test(size=(150, 40)) as pilot:
        table = app.query_one("#items")
        assert table.row_count == total
        await pilot.press("/")
        await pilot.press(*"sourdough starter")
        await _settle(app, pilot)
        assert str(table.get_row_at(0)[1]).startswith("Keeping a sourdough starter")

        await pilot.press("escape")
        app.query_one("#search").value = ""
        await _settle(app, pilot)
        sidebar = app.query_one("#sidebar")
        index = next(i for i in range(sidebar.option_count) if sidebar.get_option_at_index(i).id == "label:inference")
        sidebar.highlighted = index
        sidebar.action_select()
        await _settle(app, pilot)
        assert table.row_count == 2 and all(str(table.get_row_at(i)[4]) == "inference" for i in range(2))

        table.focus()
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert "Autoregressive decoding" in str(app.reader.render()) or "Classification and retrieval" in str(app.reader.render())

        await pilot.press("s")
        await _settle(app, pilot, 0.5)
        shown = str(app.reader.render())
        assert shown.startswith("Summary") and "•" in shown and "[" in shown

        item_id = app.current.id
        await pilot.press("l")
        await pilot.press(*"inference", "enter")
        await pilot.pause(0.3)
    with ft.Library(home) as lib:
        assert lib.get(item_id).labels == ["inference"]
        assert lib.db.execute("SELECT method FROM labels WHERE item_id = ?", (item_id,)).fetchone()[0] == "user"


async def test_delete_and_undo(home, embedder):
    with ft.Library(home) as lib:
        total = len(lib.items(limit=None))
    app = make_app(home, embedder)
    async with app.run_test(size=(150, 40)) as pilot:
        app.query_one("#items").focus()
        await pilot.press("enter")
        first = app.current.id
        await pilot.press("d")
        await pilot.pause(0.2)
        assert app.query_one("#items").row_count == total - 1
        await pilot.press("u")
        await pilot.pause(0.2)
        assert app.query_one("#items").row_count == total
    with ft.Library(home) as lib:
        assert lib.get(first).id == first


@pytest.fixture
def fixed_home(home):
    """The demo library with the dates files got from the checkout pinned, so snapshots are stable."""
    with ft.Library(home) as lib:
        lib.db.execute("UPDATE items SET saved_at = '2025-01-01T00:00:00Z', synced_at = '2025-01-01T00:00:00Z'")
    return home


def test_main_screen_snapshot(snap_compare, fixed_home):
    assert snap_compare(make_app(fixed_home), terminal_size=(140, 36))


def test_help_screen_snapshot(snap_compare, fixed_home):
    assert snap_compare(make_app(fixed_home), press=["question_mark"], terminal_size=(140, 36))


async def test_sync_writing_while_the_ui_refreshes(home):
    app = make_app(home)
    errors: list[str] = []
    done = threading.Event()

    def writer() -> None:
        try:
            with ft.Library(home) as lib:
                for batch in range(60):
                    time.sleep(0.05)  # a sync arrives page by page
                    lib.add([Record("sync", f"{batch}-{i}", title=f"synced {batch}-{i}", text="new item " * 40)
                             for i in range(50)])
        except Exception as exc:  # any "database is locked" would land here
            errors.append(repr(exc))
        finally:
            done.set()

    async with app.run_test(size=(140, 36)) as pilot:
        ticks: list[float] = []
        app.set_interval(0.02, lambda: ticks.append(time.perf_counter()))  # the UI loop's heartbeat
        thread = threading.Thread(target=writer)
        thread.start()
        shown = []
        while not done.is_set():  # the app follows the writes by itself, once a second
            await pilot.pause(0.05)
            shown.append(app.query_one("#items").row_count)
        thread.join()
        await pilot.pause(1.2)
        refreshes = len(set(shown))
        await app.workers.wait_for_complete()
        app.refresh_items()
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert app.query_one("#items").row_count == 200  # the newest page of 3,041
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    print(f"{refreshes} list sizes seen while 3,000 items were written; longest pause of the UI loop {max(gaps) * 1000:.0f} ms")
    assert errors == []
    assert refreshes >= 2  # the UI loop's longest pause is a timing: make stress's concurrency run reports it
