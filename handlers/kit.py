"""Small readers of Slack payloads shared by the listeners."""

from __future__ import annotations

from typing import Any

from bot.refs import Ref, decode, from_block_id
from bot.slack.text import unescape


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """block_id → the submitted value, whatever the element: a text, a chosen option's value, a date, a user,
    or a list of values (checkboxes)."""
    values: dict[str, Any] = {}
    for block_id, actions in (view.get("state", {}).get("values") or {}).items():
        for element in actions.values():
            if "selected_options" in element:
                values[block_id] = [option.get("value") for option in element.get("selected_options") or []]
            elif "selected_option" in element:
                option = element.get("selected_option")
                values[block_id] = option.get("value") if option else None
            elif "selected_date" in element:
                values[block_id] = element.get("selected_date")
            elif "selected_user" in element:
                values[block_id] = element.get("selected_user")
            else:
                values[block_id] = element.get("value")
    return values


def action_ref(action: dict[str, Any], kind: str) -> Ref:
    """The item a button (its value) or a select (its block_id) points at."""
    if action.get("type") == "button" or "value" in action:
        return decode(action.get("value"), kind)
    return from_block_id(action.get("block_id"), kind)


def actor(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])


def typed(text: str | None) -> str:
    """What the person typed into a slash command or a message: Slack escapes `&`, `<` and `>` in it."""
    return unescape(text or "").strip()
