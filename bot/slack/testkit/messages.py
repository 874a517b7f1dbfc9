"""The messages the stand-in keeps in each channel, as Slack does: posted, edited, deleted, listed (with their
metadata) by `conversations.history`, and `message_not_found` for one that is gone."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Channels = dict[str, dict[str, dict[str, Any]]]  # channel → ts → message


def answer(
    channels: Channels, method: str, body: dict[str, Any], next_ts: Callable[[], str], bot_id: str
) -> dict[str, Any]:
    """Slack's answer to a chat.* or conversations.history call (the caller holds the stand-in's lock)."""
    channel = str(body.get("channel", ""))
    stored = channels.setdefault(channel, {})
    if method == "chat.postMessage":
        ts = next_ts()
        message = {"type": "message", "ts": ts, "text": body.get("text"), "bot_id": bot_id}
        message.update({key: body[key] for key in ("blocks", "metadata", "thread_ts") if body.get(key)})
        if isinstance(message.get("metadata"), str):
            message["metadata"] = json.loads(message["metadata"])
        stored[ts] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}
    ts = str(body.get("ts", ""))
    if method in ("chat.update", "chat.delete") and ts not in stored:
        return {"ok": False, "error": "message_not_found"}
    if method == "chat.update":
        stored[ts].update(text=body.get("text"), blocks=body.get("blocks"))
        return {"ok": True, "channel": channel, "ts": ts, "text": body.get("text")}
    if method == "chat.delete":
        del stored[ts]
        return {"ok": True, "channel": channel, "ts": ts}
    if method == "conversations.history":
        return history(stored, body)
    return {"ok": False, "error": "unknown_method"}


def history(stored: dict[str, dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    """Newest first, without thread replies, a page at a time; metadata only when asked for."""
    messages = [m for ts, m in sorted(stored.items(), reverse=True) if m.get("thread_ts", ts) == ts]
    if str(body.get("include_all_metadata", "")).lower() not in ("true", "1"):
        messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
    start, limit = int(body.get("cursor") or 0), int(body.get("limit") or 100)
    page, more = messages[start : start + limit], start + limit < len(messages)
    return {
        "ok": True,
        "messages": page,
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }
