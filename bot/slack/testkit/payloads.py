"""Every request shape Flagpost receives from Slack, built as Slack builds it (see shared/slack-payloads).

Each builder returns `(body, content_type)` ready to be signed and POSTed to `/slack/events`, so the tests,
the benchmarks and the sandbox send byte-for-byte what Slack would.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
TEAM_ID = "T0TOWN"
APP_ID = "A0FLAGPOST"
BOT_USER_ID = "UFLAGPOST"
# A mention or channel as Slack writes it (kept), or a run of typed text (escaped), in `as_slack_sends`.
SLACK_WRITTEN = re.compile(r"(<[@#][A-Z0-9]{2,30}(?:\|[^<>]{0,80})?>)|[^<]+|<")

_triggers = itertools.count(1)
_events = itertools.count(1)
_action_ts = itertools.count(1)

Body = tuple[str, str]
# What a block_actions payload reports of the element used: as rendered, plus what was chosen
ACTION_KEYS = (
    "value",
    "text",
    "style",
    "selected_option",
    "selected_options",
    "selected_user",
    "selected_users",
    "selected_date",
    "selected_time",
    "selected_conversation",
    "selected_channel",
)


def trigger_id() -> str:
    return f"{next(_triggers)}.{TEAM_ID}.trigger"


def event_id() -> str:
    return f"Ev{next(_events):08d}"


def _interactive(payload: dict[str, Any]) -> Body:
    """Block actions, view submissions and shortcuts: one form field `payload` holding JSON."""
    return urlencode({"payload": json.dumps(payload)}), FORM


def as_slack_sends(typed: str) -> str:
    """Slack escapes `&`, `<` and `>` in what people type into a slash command or a message. A mention or a
    channel that Slack itself wrote (`<@U…>`, `<#C…>`, with `should_escape`) stays as it is."""
    return SLACK_WRITTEN.sub(
        lambda m: (
            m.group(0)
            if m.group(1)
            else m.group(0).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        ),
        typed,
    )


def slash_command(
    command: str,
    text: str,
    user: str,
    *,
    channel: str = "C0GENERAL",
    response_url: str = "https://hooks.slack.com/commands/T0TOWN/1/x",
    channel_name: str = "general",
    trigger: str | None = None,
) -> Body:
    fields = {
        "token": "verification_token",
        "team_id": TEAM_ID,
        "team_domain": "town",
        "channel_id": channel,
        "channel_name": channel_name,
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": as_slack_sends(text),
        "api_app_id": APP_ID,
        "response_url": response_url,
        "trigger_id": trigger or trigger_id(),
    }
    return urlencode(fields), FORM


def block_actions(
    action: dict[str, Any],
    user: str,
    *,
    channel: str | None = "C0MODERATE",
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str = "https://hooks.slack.com/actions/T0TOWN/1/x",
    trigger: str | None = None,
    ephemeral: bool = False,
    state: dict[str, Any] | None = None,
) -> Body:
    """A click on a button or a choice in a select. `action` is the element as rendered (its action_id,
    value or selected option, and the block_id it sat in); `message` or `view` is where it was shown.
    An ephemeral message is not sent back (Slack only says it was ephemeral); `state` is the view's inputs."""
    element = {
        "action_id": action["action_id"],
        "block_id": action.get("block_id", "b"),
        "type": action.get("type", "button"),
        "action_ts": f"1700000001.{next(_action_ts):06d}",
    }
    for key in ACTION_KEYS:
        if key in action:
            element[key] = action[key]
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "verification_token",
        "team": {"id": TEAM_ID, "domain": "town"},
        "trigger_id": trigger or trigger_id(),
        "state": {"values": state or {}},
        "actions": [element],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0001")}
        payload["view"] = view
    else:
        message = message or {"type": "message", "ts": "1700000000.000001", "text": "", "blocks": []}
        payload["container"] = {
            "type": "message",
            "message_ts": message.get("ts"),
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
        payload["channel"] = {"id": channel}
        if not ephemeral:
            payload["message"] = message
        payload["response_url"] = response_url
    return _interactive(payload)


def view_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The `state.values` Slack sends for a modal: `values` maps block_id to a text, a selected option
    value, a date ("2026-11-30"), a user id, or a list of values (checkboxes)."""
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind = element["type"]
        value = values.get(block["block_id"])
        entry: dict[str, Any] = {"type": kind}
        if kind in ("static_select", "radio_buttons"):
            entry["selected_option"] = (
                {"value": value, "text": {"type": "plain_text", "text": str(value)}} if value else None
            )
        elif kind == "checkboxes":
            entry["selected_options"] = [
                {"value": item, "text": {"type": "plain_text", "text": str(item)}} for item in value or []
            ]
        elif kind == "datepicker":
            entry["selected_date"] = value
        elif kind == "users_select":
            entry["selected_user"] = value
        elif kind == "multi_users_select":
            entry["selected_users"] = list(value or [])
        else:
            entry["value"] = value
        state[block["block_id"]] = {element["action_id"]: entry}
    return state


def view_submission(
    view: dict[str, Any],
    values: dict[str, Any],
    user: str,
    *,
    state: dict[str, Any] | None = None,
    trigger: str | None = None,
) -> Body:
    """Submit a modal Flagpost opened, with the fields filled in as `view_state` describes (or with the
    exact `state` Slack would report, as the sandbox builds it from the view's own options)."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "town"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "verification_token",
        "trigger_id": trigger or trigger_id(),
        "view": {
            **view,
            "id": view.get("id", "V0001"),
            "team_id": TEAM_ID,
            "state": {"values": view_state(view, values) if state is None else state},
            "hash": view.get("hash", "1700000000.abc"),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
        },
        "response_urls": [],
    }
    return _interactive(payload)


def view_closed(view: dict[str, Any], user: str, *, state: dict[str, Any] | None = None) -> Body:
    """The person closed a modal that asked to hear of it (`notify_on_close`)."""
    payload = {
        "type": "view_closed",
        "team": {"id": TEAM_ID, "domain": "town"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "verification_token",
        "view": {**view, "team_id": TEAM_ID, "state": {"values": state or {}}},
        "is_cleared": False,
    }
    return _interactive(payload)


def message_shortcut(
    callback_id: str,
    user: str,
    text: str,
    *,
    channel: str = "C0GENERAL",
    author: str = "U0SOMEONE",
    response_url: str = "https://hooks.slack.com/app/T0TOWN/1/x",
    message: dict[str, Any] | None = None,
    channel_name: str = "general",
    trigger: str | None = None,
) -> Body:
    """The message shortcut on a message: `text` by `author`, or the `message` itself as Slack shows it."""
    message = message or {"type": "message", "text": text, "user": author, "ts": "1700000000.000300"}
    payload = {
        "type": "message_action",
        "token": "verification_token",
        "callback_id": callback_id,
        "trigger_id": trigger or trigger_id(),
        "action_ts": "1700000000.000400",
        "team": {"id": TEAM_ID, "domain": "town"},
        "user": {"id": user, "name": user.lower()},
        "channel": {"id": channel, "name": channel_name},
        "message_ts": message["ts"],
        "message": message,
        "response_url": response_url,
    }
    return _interactive(payload)


def event(inner: dict[str, Any], *, event_id_: str | None = None) -> Body:
    """An Events API delivery (`event_callback`) wrapping one event."""
    ts = inner.get("ts", "1700000000.000100")
    body = {
        "token": "verification_token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": {"event_ts": ts, "ts": ts, **inner},
        "type": "event_callback",
        "event_id": event_id_ or event_id(),
        "event_time": 1700000000,
        "authorizations": [
            {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True, "is_enterprise_install": False}
        ],
    }
    return json.dumps(body), JSON


def app_home_opened(user: str) -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"}


def direct_message(user: str, text: str, ts: str = "1700000000.000200") -> dict[str, Any]:
    return {
        "type": "message",
        "channel": "D" + user,
        "user": user,
        "text": as_slack_sends(text),
        "ts": ts,
        "channel_type": "im",
    }


def app_mention(user: str, text: str, channel: str, ts: str = "1700000000.000500") -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {as_slack_sends(text)}",
        "channel": channel,
        "ts": ts,
    }


def url_verification(challenge: str) -> Body:
    return json.dumps({"token": "x", "challenge": challenge, "type": "url_verification"}), JSON


def as_dict(body: Body) -> dict[str, Any]:
    """The payload a Body carries, as Socket Mode delivers it (an envelope's `payload`)."""
    text, content_type = body
    if content_type == JSON:
        return dict(json.loads(text))
    fields = dict(parse_qsl(text, keep_blank_values=True))
    return dict(json.loads(fields["payload"])) if set(fields) == {"payload"} else fields


def envelope_type(body: Body) -> str:
    """The Socket Mode envelope type that carries this kind of request."""
    payload = as_dict(body)
    if "command" in payload:
        return "slash_commands"
    return "events_api" if payload.get("type") == "event_callback" else "interactive"


def find_element(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    """The interactive element `action_id` as rendered, with the block_id it sits in: what a click sends."""
    for block in blocks:
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        if isinstance(block.get("element"), dict):
            elements.append(block["element"])
        for element in elements:
            if element.get("action_id") == action_id:
                return {**element, "block_id": block.get("block_id", "b")}
    raise LookupError(f"no element {action_id!r} in these blocks")
