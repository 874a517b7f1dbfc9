"""Small readers of Slack payloads shared by the listeners."""

from __future__ import annotations

from typing import Any

from bot.errors import NotFound


def form_values(view: dict[str, Any]) -> dict[str, str | None]:
    """block_id → the submitted value, whatever the element (text, url, select, radio)."""
    values: dict[str, str | None] = {}
    for block_id, actions in (view.get("state", {}).get("values") or {}).items():
        for element in actions.values():
            if "selected_option" in element:
                option = element.get("selected_option")
                values[block_id] = option.get("value") if option else None
            else:
                values[block_id] = element.get("value")
    return values


def item_id(value: str | None, what: str = "item") -> int:
    """The id a button or modal carries. Never trusted beyond "which item": the service checks the actor."""
    text = (value or "").strip()
    if not text.isdigit():
        raise NotFound(f"That button no longer points at a {what}; the card may be out of date.")
    return int(text)
