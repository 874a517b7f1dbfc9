"""Slack's request bodies, built from what a person did on the sandbox's page and from what the bot rendered.

The page says only which element of which message or view was used, and the raw value typed or chosen; the
element itself (its value, its options, its text) is read from the blocks the bot sent, as Slack does.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from bot.slack.conversation import Message, View

TEAM = {"id": "T0TOWN", "domain": "town"}
APP_ID = "A0FLAGPOST"
Raw = Any  # what the page sends for one element: a text, an option value, a user id, a date, or a list


def _user(user: str) -> dict[str, str]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM["id"]}


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
        "action_ts": f"{time.time():.6f}",
    }
    for key in ("text", "value", "style"):
        if key in element:
            entry[key] = element[key]
    if element.get("type") != "button":
        state = element_state(element, raw, True)
        entry.update({key: value for key, value in state.items() if key != "type"})
    return entry


BOT_ID = "BFLAGPOST"


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
        "team_id": TEAM["id"],
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


def block_actions(
    user: str,
    action: dict[str, Any],
    trigger_id: str,
    *,
    message: Message | None = None,
    view: View | None = None,
    state: dict[str, Any] | None = None,
    response_url: str | None = None,
    bot_user: str = "",
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "verification_token",
        "team": TEAM,
        "enterprise": None,
        "is_enterprise_install": False,
        "trigger_id": trigger_id,
        "state": {"values": state or {}},
        "actions": [action],
    }
    if message is not None:
        payload["container"] = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": message.ephemeral_to is not None,
        }
        payload["channel"] = {"id": message.channel}
        if message.ephemeral_to is None:  # Slack does not send an ephemeral message back
            payload["message"] = message_of(message, bot_user)
        payload["response_url"] = response_url
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.id}
        payload["view"] = view_of(view, state or {})
    return payload


def view_submission(user: str, view: View, state: dict[str, Any], trigger_id: str) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": TEAM,
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "verification_token",
        "trigger_id": trigger_id,
        "view": view_of(view, state),
        "response_urls": [],
        "is_enterprise_install": False,
    }


def view_closed(user: str, view: View, state: dict[str, Any], cleared: bool) -> dict[str, Any]:
    return {
        "type": "view_closed",
        "team": TEAM,
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "verification_token",
        "view": view_of(view, state),
        "is_cleared": cleared,
        "is_enterprise_install": False,
    }


def message_action(
    user: str,
    message: Message,
    channel_name: str,
    callback_id: str,
    trigger_id: str,
    response_url: str,
    bot_user: str,
) -> dict[str, Any]:
    return {
        "type": "message_action",
        "token": "verification_token",
        "action_ts": f"{time.time():.6f}",
        "team": TEAM,
        "user": {"id": user, "name": user.lower()},
        "channel": {"id": message.channel, "name": channel_name},
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "message_ts": message.ts,
        "message": message_of(message, bot_user),
        "response_url": response_url,
    }


def event_callback(event: dict[str, Any], bot_user: str) -> dict[str, Any]:
    now = time.time()
    stamp = event.get("ts") or f"{now:.6f}"
    return {
        "token": "verification_token",
        "team_id": TEAM["id"],
        "api_app_id": APP_ID,
        "event": {"event_ts": stamp, **event},
        "type": "event_callback",
        "event_id": "Ev" + uuid.uuid4().hex[:12].upper(),
        "event_time": int(now),
        "authorizations": [
            {"team_id": TEAM["id"], "user_id": bot_user, "is_bot": True, "is_enterprise_install": False}
        ],
    }
