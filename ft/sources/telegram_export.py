"""Telegram Desktop's JSON export (``result.json``): one item per message with text."""

from __future__ import annotations

from collections.abc import Iterator

from index.records import Record, Skipped

from .base import Input, first_line, load_json, slug

NAME = "telegram-export"


def sniff(inp: Input) -> bool:
    head = inp.head_text.lstrip()
    return head.startswith("{") and '"messages"' in head and ('"type": "' in head[:600] or '"type":"' in head[:600])


def _text(value: object) -> str:
    """Telegram's text: a string, or a list of strings and {type, text} entities."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in value if isinstance(part, (str, dict)))
    return ""


def parse(inp: Input) -> Iterator[Record | Skipped]:
    data = load_json(inp)
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        yield Skipped(inp.name, 'no "messages" list: not a Telegram Desktop export')
        return
    channel = str(data.get("name") or "telegram")
    for n, message in enumerate(data["messages"]):
        where = f"{inp.name}:messages[{n}]"
        if not isinstance(message, dict) or "id" not in message:
            yield Skipped(where, "not a message")
            continue
        text = _text(message.get("text")).strip()
        if message.get("type", "message") != "message" or not text:
            continue  # service messages and media without captions carry nothing to read
        date = str(message.get("date") or "")
        yield Record("telegram", f"{slug(channel)}:{message['id']}", text, title=first_line(text), kind="post",
                     author=channel, created_at=(date + "Z") if date and "Z" not in date and "+" not in date else date or None,
                     meta={"channel": channel, "message_id": message["id"], "channel_id": data.get("id")})
