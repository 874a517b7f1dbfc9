"""Plays Slack towards the bot: turns what a person did on the page into the signed request Slack would send,
POSTs it to the bot's own `/slack/events` (through the same signature check as real Slack), and shows the
answer the way Slack would: an ack's message as an ephemeral reply, a modal's `response_action` applied."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.config import Organization
from bot.sandbox import wire, world
from bot.slack.testkit import payloads, signing
from bot.slack.testkit.conversation import Conversation, Message, ResponseContext, View
from bot.slack.text import escape

log = logging.getLogger(__name__)
ACK_LIMIT_MS = 3000  # Slack gives up on an answer after 3 s


class Refused(Exception):
    """The page asked for something a Slack client could not do (an unknown view, someone else's DM)."""


@dataclass
class Outcome:
    """What the bot answered: its HTTP status and how long it took to ack."""

    status: int
    ack_ms: float
    errors: dict[str, str] = field(default_factory=dict)
    unknown: bool = False  # nothing in the bot handles this request (a command not built yet)
    sent: bool = True  # False when Slack itself answered, without asking the bot

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.status == 200 and not self.errors,
            "status": self.status,
            "ack_ms": round(self.ack_ms, 1),
            "slow": self.ack_ms > ACK_LIMIT_MS,
            "errors": self.errors,
            "unknown": self.unknown,
            "sent": self.sent,
        }


class Workspace:
    def __init__(
        self,
        org: Organization,
        talk: Conversation,
        secret: str,
        response_base: str,
        settle: Callable[[], object],
    ):
        self.org = org
        self.talk = talk
        self.secret = secret
        self.response_base = response_base  # the stand-in's /response/ address
        self.settle = settle  # waits until the bot's background work is done
        self.events_url = ""  # set once the server listens
        self.unknown_commands: set[str] = set()

    # ----- the wire
    def _post(self, body: str, content_type: str) -> tuple[int, str, float]:
        """Sign and POST, as Slack does; the answer, its HTTP status and how long the ack took."""
        headers = {"Content-Type": content_type, **signing.signed_headers(self.secret, body)}
        request = urllib.request.Request(self.events_url, data=body.encode(), headers=headers, method="POST")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        return status, text, (time.perf_counter() - started) * 1000

    def _interactive(self, body: payloads.Body) -> tuple[int, str, float]:
        result = self._post(*body)
        self.settle()
        return result

    def _event(self, event: dict[str, Any]) -> Outcome:
        status, _text, ms = self._post(*payloads.event(event))
        self.settle()
        return Outcome(status, ms)

    def _response_url(self, context: ResponseContext) -> str:
        return self.response_base + self.talk.response_url_token(context)

    def _say_as_slackbot(self, user: str, channel: str, text: str) -> None:
        self.talk.post(channel, world.SLACKBOT, text, ephemeral_to=user)

    # ----- typing in the message box
    def send(self, user: str, channel: str, text: str, thread_ts: str | None = None) -> Outcome:
        if not world.may_post_in(self.org, user, channel):
            raise Refused("you can post in the workspace's channels and in your own DM with Flagpost")
        text = text.strip()
        if not text:
            raise Refused("type a message or a /command")
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            return self.command(user, channel, command.lower(), rest.strip())
        typed = world.to_slack_text(self.org, self.talk.bot_user, text)[:4000]
        message = self.talk.post(channel, user, typed, thread_ts=thread_ts)
        event: dict[str, Any] = {
            "user": user,
            "text": typed,
            "ts": message.ts,
            "channel": channel,
            "team": payloads.TEAM_ID,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        if channel == "D" + user:
            return self._event({"type": "message", "channel_type": "im", **event})
        if f"<@{self.talk.bot_user}>" in typed:
            return self._event({"type": "app_mention", **event})
        return Outcome(200, 0.0, sent=False)  # the bot is not subscribed to channel messages

    def command(self, user: str, channel: str, command: str, text: str) -> Outcome:
        if command not in {declared.command for declared in world.COMMANDS}:  # Slack never asks the bot
            self._say_as_slackbot(user, channel, f"`{escape(command)}` is not a valid command.")
            return Outcome(404, 0.0, unknown=True, sent=False)
        context = ResponseContext(user=user, channel=channel)
        body = payloads.slash_command(  # which escapes &, <, > as Slack does
            command,
            world.command_text(self.org, command, text),
            user,
            channel=channel,
            channel_name=world.channel_name(self.org, channel),
            response_url=self._response_url(context),
            trigger=self.talk.issue_trigger(user),
        )
        status, answer, ms = self._post(*body)
        if status == 404:
            self.unknown_commands.add(command)
            self._say_as_slackbot(user, channel, f"`{escape(command)}` is not something Flagpost does yet.")
            return Outcome(status, ms, unknown=True)
        if status != 200:
            self._say_as_slackbot(
                user, channel, f'`{escape(command)}` failed with the error "http_{status}".'
            )
        elif answer.strip():
            self.talk.respond(context, _json_or_text(answer))
        self.settle()
        return Outcome(status, ms)

    # ----- clicking and choosing
    def act(
        self,
        user: str,
        block_id: str,
        action_id: str,
        raw: wire.Raw = None,
        *,
        channel: str = "",
        ts: str = "",
        view_id: str = "",
        values: dict[str, dict[str, wire.Raw]] | None = None,
    ) -> Outcome:
        """A button, a select, a date… in a message (`channel`, `ts`) or in a view (`view_id`)."""
        trigger = self.talk.issue_trigger(user)
        if view_id:
            view = self._own_view(user, view_id)
            blocks = view.definition.get("blocks") or []
            state = wire.state_values(blocks, values or {})
            shown = {"view": wire.view_of(view, state), "state": state}
        else:
            message = self._visible_message(user, channel, ts)
            blocks = message.blocks
            context = ResponseContext(user, channel, message.ts, message.thread_ts)
            shown = {
                "channel": channel,
                "message": wire.message_of(message, self.talk.bot_user),
                "ephemeral": message.ephemeral_to is not None,
                "response_url": self._response_url(context),
            }
        element = wire.find_element(blocks, block_id, action_id)
        if element is None:
            raise Refused("that element is no longer there; the message or view changed")
        action = wire.action_entry(element, block_id, raw)
        status, _answer, ms = self._interactive(
            payloads.block_actions(action, user, trigger=trigger, **shown)
        )
        return Outcome(status, ms)

    def shortcut(self, user: str, channel: str, ts: str, callback_id: str) -> Outcome:
        message = self._visible_message(user, channel, ts)
        body = payloads.message_shortcut(
            callback_id,
            user,
            message.text,
            channel=channel,
            channel_name=world.channel_name(self.org, channel),
            message=wire.message_of(message, self.talk.bot_user),
            response_url=self._response_url(ResponseContext(user, channel, None, message.thread_ts)),
            trigger=self.talk.issue_trigger(user),
        )
        status, _answer, ms = self._interactive(body)
        return Outcome(status, ms, unknown=status == 404)

    # ----- modals
    def submit(self, user: str, view_id: str, values: dict[str, dict[str, wire.Raw]]) -> Outcome:
        view = self._own_view(user, view_id)
        missing = wire.missing_required(view, values)
        if missing:  # Slack's client refuses these itself, without asking the bot
            self.talk.set_errors(view.id, missing)
            return Outcome(200, 0.0, errors=missing, sent=False)
        state = wire.state_values(view.definition.get("blocks") or [], values)
        body = payloads.view_submission(
            wire.view_of(view, state), {}, user, state=state, trigger=self.talk.issue_trigger(user)
        )
        status, answer, ms = self._interactive(body)
        if status != 200:
            errors = {"": "We had some trouble connecting. Try again?"}
            self.talk.set_errors(view.id, errors)
            return Outcome(status, ms, errors=errors)
        return Outcome(status, ms, errors=self._apply_response_action(user, view, _json_or_text(answer)))

    def _apply_response_action(self, user: str, view: View, answer: dict[str, Any]) -> dict[str, str]:
        action = answer.get("response_action")
        if action == "errors":
            errors = {str(k): str(v) for k, v in (answer.get("errors") or {}).items()}
            self.talk.set_errors(view.id, errors)
            return errors
        if action == "update":
            self.talk.replace_view(view.id, answer.get("view"))
        elif action == "push":
            self.talk.push_for(user, answer.get("view"))
        else:  # "clear", or a plain ack: the view closes
            self.talk.close_view(user, view.id, clear=action == "clear")
        return {}

    def close(self, user: str, view_id: str, values: dict[str, dict[str, wire.Raw]] | None = None) -> Outcome:
        view = self._own_view(user, view_id)
        outcome = Outcome(200, 0.0, sent=False)
        if view.definition.get("notify_on_close"):
            state = wire.state_values(view.definition.get("blocks") or [], values or {})
            status, _answer, ms = self._interactive(
                payloads.view_closed(wire.view_of(view, state), user, state=state)
            )
            outcome = Outcome(status, ms)
        self.talk.close_view(user, view.id, clear=bool(view.definition.get("clear_on_close")))
        return outcome

    # ----- App Home
    def open_home(self, user: str) -> Outcome:
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": "D" + user,
            "tab": "home",
        }
        home = self.talk.homes.get(user)
        if home is not None:
            event["view"] = wire.view_of(home, {})
        return self._event(event)

    # ----- what the person may touch
    def _visible_message(self, user: str, channel: str, ts: str) -> Message:
        message = self.talk.find(channel, ts)
        if message is None or message.deleted or not self.talk.can_see(user, message):
            raise Refused("that message is not there")
        return message

    def _own_view(self, user: str, view_id: str) -> View:
        view = self.talk.views.get(view_id)
        if view is None or view.user != user:
            raise Refused("that view is not open for you")
        return view


def _json_or_text(answer: str) -> dict[str, Any]:
    """An ack's body: Bolt answers JSON; a plain text body is a message too."""
    if not answer.strip():
        return {}
    try:
        parsed = json.loads(answer)
    except ValueError:
        return {"text": answer}
    return parsed if isinstance(parsed, dict) else {}
