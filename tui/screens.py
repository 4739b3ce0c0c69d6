"""Modal screens: help, a one-line prompt (label, question)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Markdown

HELP = """\
# ft — keys

| key | action |
|---|---|
| `/` | search (keywords and meaning; type and wait) |
| `↑` `↓` | move through items; `enter` opens one in the reader |
| sidebar | pick a source or label to filter; `All items` clears it |
| `s` | summarize the open item (sentences stream in, each cited) |
| `a` | ask a question about the open item |
| `l` | set the open item's topic label (your correction teaches `ft classify`) |
| `c` | classify the open item now |
| `o` | open its link in the browser |
| `y` | copy it as Markdown |
| `r` | mark it read |
| `d` | delete it; `u` undoes |
| `ctrl+p` | every action, by name |
| `?` | this help; `escape` closes it |
| `q` | quit |
"""


class HelpScreen(ModalScreen[None]):
    """What every key does."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 72; height: auto; max-height: 90%; border: thick $primary; background: $surface; padding: 1 2; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Markdown(HELP)


class PromptScreen(ModalScreen[str | None]):
    """Asks for one line of text; dismisses with it, or ``None`` on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical { width: 70; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    """

    def __init__(self, prompt: str, placeholder: str = "") -> None:
        super().__init__()
        self.prompt = prompt
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Markdown(self.prompt)
            yield Input(placeholder=self.placeholder, id="answer")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
