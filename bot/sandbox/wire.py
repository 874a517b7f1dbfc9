"""What Slack puts inside its requests, read from what the bot rendered and what a person did on the page.

The page says only which element of which message or view was used, and the raw value typed or chosen; the
element itself (its value, its options, its text) is read from the blocks the bot sent, as Slack does. The
envelopes (block_actions, view_submission, …) are the test kit's, so the sandbox sends what the tests send.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.slack.testkit.conversation import Message, View
from bot.slack.testkit.payloads import APP_ID, TEAM_ID
from bot.slack.testkit.standin import BOT_ID

Raw = Any  # what the page sends for one element: a text, an option value, a user id, a date, or a list


def elements(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(block_id, element) for every interactive element: accessories, actions, inputs."""
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        if isinstance(block.get("accessory"), dict):
            yield block_id, block["accessory"]
        if isinstance(block.get("element"), dict):
            yield block_id, block["element"]
        for element in block.get("elements") or []:
            if isinstance(element, dict) and "action_id" in element:
                yield block_id, element


def find_element(blocks: list[dict[str, Any]], block_id: str, action_id: str) -> dict[str, Any] | None:
    for found_block, element in elements(blocks):
        if found_block == block_id and element.get("action_id") == action_id:
            return element
    return None


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _option(element: dict[str, Any], value: Raw) -> dict[str, Any] | None:
    return next((option for option in _options(element) if option.get("value") == value), None)


def _as_list(raw: Raw) -> list[Any]:
    return list(raw) if isinstance(raw, list | tuple) else [] if raw in (None, "") else [raw]


SINGLE_OPTION = ("static_select", "radio_buttons", "overflow", "external_select")
MULTI_OPTION = ("checkboxes", "multi_static_select", "multi_external_select")
PICKED = {
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "multi_users_select": ("selected_users", "initial_users"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
}


def element_state(element: dict[str, Any], raw: Raw, given: bool) -> dict[str, Any]:
    """One entry of `state.values`; without a value from the page, the element's initial value."""
    kind = str(element.get("type"))
    state: dict[str, Any] = {"type": kind}
    if kind in SINGLE_OPTION:
        state["selected_option"] = _option(element, raw) if given else element.get("initial_option")
    elif kind in MULTI_OPTION:
        chosen = [_option(element, value) for value in _as_list(raw)] if given else None
        state["selected_options"] = (
            [option for option in chosen if option]
            if chosen is not None
            else element.get("initial_options", [])
        )
    elif kind in PICKED:
        key, initial = PICKED[kind]
        multi = kind.startswith("multi_")
        value = (_as_list(raw) if multi else (raw or None)) if given else element.get(initial)
        state[key] = value if value is not None or not multi else []
    else:  # plain_text_input, url_text_input, email_text_input, number_input, rich text as plain text
        state["value"] = (
            (str(raw) if raw not in (None, "") else None) if given else element.get("initial_value")
        )
    return state


def state_values(blocks: list[dict[str, Any]], raw: dict[str, dict[str, Raw]]) -> dict[str, Any]:
    """`view.state.values`: every input's current value, as Slack reports it."""
    values: dict[str, Any] = {}
    for block in blocks:
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        block_id, element = str(block.get("block_id")), block["element"]
        action_id = str(element.get("action_id"))
        sent = raw.get(block_id, {})
        values.setdefault(block_id, {})[action_id] = element_state(
            element, sent.get(action_id), action_id in sent
        )
    return values


def missing_required(view: View, raw: dict[str, dict[str, Raw]]) -> dict[str, str]:
    """What Slack's own client refuses to submit: required inputs left empty."""
    errors: dict[str, str] = {}
    for block_id, actions in state_values(view.definition.get("blocks") or [], raw).items():
        block = next(b for b in view.definition.get("blocks") or [] if str(b.get("block_id")) == block_id)
        if block.get("optional"):
            continue
        state = next(iter(actions.values()))
        filled = [value for key, value in state.items() if key != "type" and value not in (None, "", [])]
        if not filled:
            errors[block_id] = "Please complete this required field."
    return errors


def action_entry(element: dict[str, Any], block_id: str, raw: Raw) -> dict[str, Any]:
    """`actions[0]` of block_actions: the element as rendered, with what was chosen."""
    entry: dict[str, Any] = {
        "type": element.get("type"),
        "action_id": element.get("action_id"),
        "block_id": block_id,
    }
    for key in ("text", "value", "style"):
        if key in element:
            entry[key] = element[key]
    if element.get("type") != "button":
        state = element_state(element, raw, True)
        entry.update({key: value for key, value in state.items() if key != "type"})
    return entry


def message_of(message: Message, bot_user: str) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "type": "message",
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "blocks": message.blocks,
    }
    if message.user == bot_user:
        shown.update(bot_id=BOT_ID, app_id=APP_ID)
    if message.thread_ts:
        shown["thread_ts"] = message.thread_ts
    return shown


def view_of(view: View, state: dict[str, Any]) -> dict[str, Any]:
    """A view as Slack sends it back in a payload, with its state."""
    definition = view.definition
    return {
        "id": view.id,
        "team_id": TEAM_ID,
        "type": definition.get("type", "modal"),
        "blocks": definition.get("blocks") or [],
        "private_metadata": definition.get("private_metadata", ""),
        "callback_id": definition.get("callback_id", ""),
        "state": {"values": state},
        "hash": view.hash,
        "title": definition.get("title"),
        "close": definition.get("close"),
        "submit": definition.get("submit"),
        "clear_on_close": bool(definition.get("clear_on_close")),
        "notify_on_close": bool(definition.get("notify_on_close")),
        "previous_view_id": view.previous_view_id,
        "root_view_id": view.root_view_id,
        "app_id": APP_ID,
        "external_id": definition.get("external_id", ""),
        "bot_id": BOT_ID,
    }
