"""Telegram Desktop's JSON export: one item per message with text.

Two shapes: one chat's export (``result.json`` with ``name``, ``id`` and ``messages``),
and the full data export, which nests every chat under ``chats.list`` (and the chats
left under ``left_chats.list``). A message's author is its sender (``from``), its time
``date_unixtime`` (``date`` is the exporter's local time, with no offset), and the
targets of its text links are kept in meta.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ft.core.dates import iso
from index.records import Record, Skipped

from .base import Input, first_line, load_json, slug

NAME = "telegram-export"

_FULL_EXPORT_KEYS = ('"personal_information"', '"chats"', '"left_chats"')


def sniff(inp: Input) -> bool:
    head = inp.head_text.lstrip()
    if not head.startswith("{"):
        return False
    one_chat = '"messages"' in head and ('"type": "' in head[:600] or '"type":"' in head[:600])
    return one_chat or sum(key in head for key in _FULL_EXPORT_KEYS) >= 2


def parse(inp: Input) -> Iterator[Record | Skipped]:
    data = load_json(inp)
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        yield from _chat(data, inp.name)
        return
    chats = _chat_lists(data, inp.name)
    if chats is None:
        yield Skipped(inp.name, 'no "messages" list and no "chats" list: not a Telegram Desktop export')
        return
    for where, chat in chats:
        if isinstance(chat, dict) and isinstance(chat.get("messages"), list):
            yield from _chat(chat, where)
        else:
            yield Skipped(where, 'not a chat (no "messages" list)')


def _chat_lists(data: Any, name: str) -> list[tuple[str, Any]] | None:
    """(where, chat) for every chat of a full export; ``None`` if ``data`` is not one."""
    if not isinstance(data, dict):
        return None
    found = None
    for key in ("chats", "left_chats"):
        section = data.get(key)
        if isinstance(section, dict) and isinstance(section.get("list"), list):
            found = (found or []) + [(f"{name}:{key}.list[{n}]", chat) for n, chat in enumerate(section["list"])]
    return found


def _chat(chat: dict, where: str) -> Iterator[Record | Skipped]:
    channel = str(chat.get("name") or "telegram")
    for n, message in enumerate(chat["messages"]):
        at = f"{where}:messages[{n}]"
        if not isinstance(message, dict) or "id" not in message:
            yield Skipped(at, "not a message")
            continue
        text = _text(message.get("text")).strip()
        if message.get("type", "message") != "message" or not text:
            continue  # service messages and media without captions carry nothing to read
        sender = message.get("from")
        links = _links(message.get("text"))
        yield Record("telegram", f"{slug(channel)}:{message['id']}", text, title=first_line(text), kind="post",
                     author=str(sender) if sender else channel, created_at=_when(message),
                     meta={"channel": channel, "message_id": message["id"], "channel_id": chat.get("id"),
                           **({"from_id": message["from_id"]} if message.get("from_id") else {}),
                           **({"links": links} if links else {})})


def _text(value: object) -> str:
    """Telegram's text: a string, or a list of strings and {type, text} entities."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in value if isinstance(part, (str, dict)))
    return ""


def _links(value: object) -> list[str]:
    """The targets of a text's links: a ``text_link``'s href, a ``link``'s own text."""
    if not isinstance(value, list):
        return []
    found = [part.get("href") if part.get("type") == "text_link" else part.get("text")
             for part in value if isinstance(part, dict) and part.get("type") in ("text_link", "link")]
    return [str(url) for url in found if url]


def _when(message: dict) -> str | None:
    """When the message was sent, in UTC: from ``date_unixtime``; exports without it have
    only the local ``date``, which is kept as it is (its offset is unknown)."""
    try:
        return iso(datetime.fromtimestamp(int(message["date_unixtime"]), UTC))
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        pass
    date = str(message.get("date") or "")
    return (date + "Z") if date and "Z" not in date and "+" not in date else date or None
