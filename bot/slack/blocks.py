"""Block Kit builders: the one place that knows Slack's limits and keeps every block within them.

Every builder takes text that is already safe (escaped with `bot.slack.text.escape`, or written by us) and
clips it to Slack's limit without cutting an `&amp;` entity or a `<…>` token in two. Pure functions: data in,
JSON-ready dicts out. Domains build their cards, forms and App Home sections from these and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Block = dict[str, Any]

# Slack's documented limits (docs.slack.dev/reference/block-kit), in characters or items.
LIMITS = {
    "header": 150,
    "section": 3000,
    "field": 2000,
    "fields": 10,
    "context": 2000,
    "context_elements": 10,
    "actions_elements": 25,
    "button": 75,
    "button_value": 2000,
    "option": 75,
    "option_value": 150,
    "options": 100,
    "placeholder": 150,
    "label": 2000,
    "hint": 2000,
    "modal_title": 24,
    "modal_button": 24,
    "private_metadata": 3000,
    "block_id": 255,
    "confirm_title": 100,
    "confirm_text": 300,
    "confirm_button": 30,
    "input": 3000,
    "message_blocks": 50,
    "view_blocks": 100,
    "fallback_text": 3000,
}
ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in "…" when cut, never inside an `&…;` entity or
    a `<…>` link, mention or date token (a half token would show as garbage or break the message)."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi and amp >= len(cut) - 8:  # inside "&amp;", "&lt;" or "&gt;"
        cut = cut[:amp]
    opened, closed = cut.rfind("<"), cut.rfind(">")
    if opened > closed:
        cut = cut[:opened]
    return cut.rstrip() + ELLIPSIS


def plain(text: str, limit: int = LIMITS["section"]) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = LIMITS["section"]) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, LIMITS["header"])}


def section(
    text: str | None = None,
    *,
    fields: Sequence[str] = (),
    accessory: Block | None = None,
    block_id: str | None = None,
) -> Block:
    block: Block = {"type": "section"}
    if text is not None:
        block["text"] = mrkdwn(text, LIMITS["section"])
    if fields:
        block["fields"] = [mrkdwn(field, LIMITS["field"]) for field in fields[: LIMITS["fields"]]]
    if accessory is not None:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = clip(block_id, LIMITS["block_id"])
    return block


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [mrkdwn(t, LIMITS["context"]) for t in texts[: LIMITS["context_elements"]]],
    }


def divider() -> Block:
    return {"type": "divider"}


def actions(elements: Sequence[Block], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[: LIMITS["actions_elements"]])}
    if block_id:
        block["block_id"] = clip(block_id, LIMITS["block_id"])
    return block


def confirm(title: str, text: str, yes: str = "Yes", no: str = "Cancel") -> dict[str, Any]:
    return {
        "title": plain(title, LIMITS["confirm_title"]),
        "text": plain(text, LIMITS["confirm_text"]),
        "confirm": plain(yes, LIMITS["confirm_button"]),
        "deny": plain(no, LIMITS["confirm_button"]),
    }


def button(
    label: str,
    action_id: str,
    value: str | None = None,
    *,
    style: str | None = None,
    ask: dict[str, Any] | None = None,
) -> Block:
    """A button. `style` is "primary" or "danger"; `ask` a `confirm(…)` dialog shown before it acts."""
    element: Block = {"type": "button", "text": plain(label, LIMITS["button"]), "action_id": action_id}
    if value is not None:
        if len(value) > LIMITS["button_value"]:
            raise ValueError("a button value is a reference, never user text; it cannot be this long")
        element["value"] = value
    if style:
        element["style"] = style
    if ask:
        element["confirm"] = ask
    return element


def option(value: str, label: str, description: str | None = None) -> dict[str, Any]:
    if len(value) > LIMITS["option_value"]:
        raise ValueError(f"an option value is at most {LIMITS['option_value']} characters")
    item: dict[str, Any] = {"text": plain(label, LIMITS["option"]), "value": value}
    if description:
        item["description"] = plain(description, LIMITS["option"])
    return item


def options(pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    return [option(value, label) for value, label in list(pairs)[: LIMITS["options"]]]


def static_select(
    action_id: str, placeholder: str, choices: list[dict[str, Any]], initial: dict[str, Any] | None = None
) -> Block:
    element: Block = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, LIMITS["placeholder"]),
        "options": choices[: LIMITS["options"]],
    }
    if initial:
        element["initial_option"] = initial
    return element


def radio_buttons(
    action_id: str, choices: list[dict[str, Any]], initial: dict[str, Any] | None = None
) -> Block:
    element: Block = {"type": "radio_buttons", "action_id": action_id, "options": choices[:10]}
    if initial:
        element["initial_option"] = initial
    return element


def checkboxes(
    action_id: str, choices: list[dict[str, Any]], initial: Sequence[dict[str, Any]] = ()
) -> Block:
    element: Block = {"type": "checkboxes", "action_id": action_id, "options": choices[:10]}
    if initial:
        element["initial_options"] = list(initial)
    return element


def text_input(
    action_id: str,
    *,
    multiline: bool = False,
    initial: str = "",
    placeholder: str = "",
    max_length: int = LIMITS["input"],
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": min(max_length, LIMITS["input"]),
    }
    if initial:
        element["initial_value"] = initial[: element["max_length"]]
    if placeholder:
        element["placeholder"] = plain(placeholder, LIMITS["placeholder"])
    return element


def url_input(action_id: str, *, initial: str = "", placeholder: str = "") -> Block:
    element: Block = {"type": "url_text_input", "action_id": action_id}
    if initial:
        element["initial_value"] = initial[: LIMITS["input"]]
    if placeholder:
        element["placeholder"] = plain(placeholder, LIMITS["placeholder"])
    return element


def date_picker(action_id: str, *, initial: str | None = None, placeholder: str = "Choose a date") -> Block:
    element: Block = {"type": "datepicker", "action_id": action_id, "placeholder": plain(placeholder, 150)}
    if initial:
        element["initial_date"] = initial
    return element


def input_block(
    block_id: str, label: str, element: Block, *, optional: bool = False, hint: str | None = None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": clip(block_id, LIMITS["block_id"]),
        "label": plain(label, LIMITS["label"]),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, LIMITS["hint"])
    return block


def _fit(blocks: Sequence[Block], limit: int) -> list[Block]:
    """At most `limit` blocks; when some must go, the last one kept says so."""
    blocks = list(blocks)
    if len(blocks) <= limit:
        return blocks
    dropped = len(blocks) - limit + 1
    return [*blocks[: limit - 1], context(f"…and {dropped} more not shown here.")]


def message_blocks(blocks: Sequence[Block]) -> list[Block]:
    return _fit(blocks, LIMITS["message_blocks"])


def fallback(text: str) -> str:
    """The plain `text` of a message with blocks: notifications and screen readers show it."""
    return clip(text, LIMITS["fallback_text"])


def modal(
    title: str,
    blocks: Sequence[Block],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Close",
    private_metadata: str = "",
) -> dict[str, Any]:
    if len(private_metadata) > LIMITS["private_metadata"]:
        raise ValueError("private_metadata carries a reference, never user text; it cannot be this long")
    view: dict[str, Any] = {
        "type": "modal",
        "title": plain(title, LIMITS["modal_title"]),
        "close": plain(close, LIMITS["modal_button"]),
        "blocks": _fit(blocks, LIMITS["view_blocks"]),
    }
    if callback_id:
        view["callback_id"] = callback_id
    if submit:
        view["submit"] = plain(submit, LIMITS["modal_button"])
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


def home(blocks: Sequence[Block]) -> dict[str, Any]:
    return {"type": "home", "blocks": _fit(blocks, LIMITS["view_blocks"])}


def notice(text: str, title: str = "Flagpost") -> dict[str, Any]:
    """A modal with one sentence and a Close button (receipts, errors)."""
    return modal(title, [section(text)])
