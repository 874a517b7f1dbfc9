"""What a Slack workspace would show its people, kept by the stand-in from the Web API calls it answers.

Messages per channel (edited in place, deleted, threaded), ephemeral messages seen by one person, DMs,
each person's stack of modals and their App Home. Every change takes the next sequence number, so a reader
(the sandbox's page) asks only for what changed since the number it last saw, and can wait for a change.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TRIGGER_SECONDS = 3.0  # a trigger_id dies 3 s after Slack sends it


def parse_json(value: Any) -> Any:
    """slack_sdk sends blocks and views as JSON text in form bodies, and as objects in JSON bodies."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def with_block_ids(blocks: Any) -> list[dict[str, Any]]:
    """Slack gives every block a block_id; a click names the block it came from."""
    if not isinstance(blocks, list):
        return []
    return [
        {**block, "block_id": f"b{index}"} if isinstance(block, dict) and "block_id" not in block else block
        for index, block in enumerate(blocks)
    ]


def as_view(definition: Any) -> dict[str, Any]:
    view = parse_json(definition)
    if not isinstance(view, dict):
        return {}
    return {**view, "blocks": with_block_ids(view.get("blocks"))}


@dataclass
class Message:
    channel: str
    ts: str
    user: str  # the author: a person's id or the bot's user id
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    order: int  # creation order, for display
    seq: int = 0  # the change that last touched it
    edited: bool = False
    deleted: bool = False
    ephemeral_to: str | None = None  # only this person sees it
    metadata: dict[str, Any] | None = None  # message metadata, as chat.postMessage was given it

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "ts": self.ts,
            "user": self.user,
            "text": self.text,
            "blocks": self.blocks,
            "thread_ts": self.thread_ts,
            "order": self.order,
            "edited": self.edited,
            "deleted": self.deleted,
            "ephemeral": self.ephemeral_to is not None,
        }


@dataclass
class View:
    id: str
    user: str | None
    definition: dict[str, Any]
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**self.definition, "id": self.id, "hash": self.hash, "errors": self.errors}


@dataclass(frozen=True)
class ResponseContext:
    """Where a response_url's (or an ack's) message goes: to whom, in which channel, replacing what."""

    user: str
    channel: str
    message_ts: str | None = None
    thread_ts: str | None = None


class SlackError(Exception):
    """An `ok: false` answer with Slack's error code."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


class Conversation:
    """Thread-safe. `strict` makes unknown triggers, views and messages errors, as in Slack; the tests'
    stand-in is lenient so that hand-built payloads with made-up ids still get answers."""

    def __init__(self, bot_user: str, clock: Callable[[], float] | None = None, strict: bool = False):
        self.bot_user = bot_user
        self.strict = strict
        self._clock = clock
        self._changed = threading.Condition()
        self.seq = 0
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self.messages: dict[tuple[str, str], Message] = {}
        self.modals: dict[str, list[View]] = {}
        self.views: dict[str, View] = {}
        self.homes: dict[str, View] = {}
        self._triggers: dict[str, tuple[str, float]] = {}
        self._responses: dict[str, ResponseContext] = {}
        self._seen: dict[tuple[str, str], int] = {}  # (kind, user) → seq of its last change

    # ----- ids
    def _bump(self) -> int:
        self.seq += 1
        self._changed.notify_all()
        return self.seq

    def next_ts(self) -> str:
        seconds = int(self._clock()) if self._clock else 1700000000
        return f"{seconds}.{next(self._ts):06d}"

    def issue_trigger(self, user: str) -> str:
        trigger = f"{next(self._ids)}.{int(time.time())}.sandbox"
        with self._changed:
            self._triggers[trigger] = (user, time.monotonic())
        return trigger

    def response_url_token(self, context: ResponseContext) -> str:
        token = f"r{next(self._ids)}"
        with self._changed:
            self._responses[token] = context
        return token

    def _trigger_user(self, trigger_id: str) -> str | None:
        entry = self._triggers.pop(trigger_id, None)
        if entry is None:
            if self.strict:
                raise SlackError("invalid_trigger_id")
            return None
        user, issued = entry
        if time.monotonic() - issued > TRIGGER_SECONDS:
            raise SlackError("expired_trigger_id")
        return user

    # ----- messages
    def post(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: Any = None,
        thread_ts: str | None = None,
        ephemeral_to: str | None = None,
        metadata: Any = None,
    ) -> Message:
        with self._changed:
            message = Message(
                channel=channel,
                ts=self.next_ts(),
                user=user,
                text=text or "",
                blocks=with_block_ids(parse_json(blocks)),
                thread_ts=thread_ts or None,
                order=len(self.messages),
                ephemeral_to=ephemeral_to,
                metadata=parse_json(metadata),
            )
            message.seq = self._bump()
            self.messages[(channel, message.ts)] = message
            return message

    def update(self, channel: str, ts: str, text: str | None, blocks: Any = None) -> Message | None:
        with self._changed:
            message = self.messages.get((channel, ts))
            if message is not None and message.deleted:
                raise SlackError("message_not_found")  # a message someone deleted, lenient or not
            if message is None:
                if self.strict:
                    raise SlackError("message_not_found")
                return None
            if text is not None:
                message.text = text
            parsed = parse_json(blocks)
            if parsed is not None:
                message.blocks = with_block_ids(parsed)
            message.edited = message.ephemeral_to is None  # Slack marks edits; ephemerals are replaced
            message.seq = self._bump()
            return message

    def delete(self, channel: str, ts: str) -> None:
        with self._changed:
            message = self.messages.get((channel, ts))
            if message is not None:
                message.deleted = True
                message.seq = self._bump()

    def history(
        self, channel: str, *, include_metadata: bool = False, limit: int = 100, cursor: str = ""
    ) -> dict[str, Any]:
        """conversations.history: the channel's messages newest first, a page at a time, without deleted or
        ephemeral ones or thread replies; their metadata only when asked for."""
        with self._changed:
            shown = [
                message
                for message in self.messages.values()
                if message.channel == channel
                and not message.deleted
                and message.ephemeral_to is None
                and message.thread_ts in (None, message.ts)
            ]
        shown.sort(key=lambda message: message.order, reverse=True)
        start = int(cursor) if cursor.isdigit() else 0
        page, more = shown[start : start + limit], start + limit < len(shown)
        found = []
        for message in page:
            item = {"type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks}
            if message.user == self.bot_user:
                item["bot_id"] = "BFLAGPOST"
            if include_metadata and message.metadata:
                item["metadata"] = message.metadata
            found.append(item)
        next_cursor = str(start + limit) if more else ""
        return {
            "ok": True,
            "messages": found,
            "has_more": more,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def find(self, channel: str, ts: str) -> Message | None:
        with self._changed:
            return self.messages.get((channel, ts))

    def respond(self, context: ResponseContext, payload: dict[str, Any]) -> None:
        """A post to a response_url, or the body of an ack: ephemeral unless `in_channel`, and it may
        replace or delete the message the action came from."""
        text = str(payload.get("text") or "")
        blocks = payload.get("blocks")
        original = context.message_ts
        if original and str(payload.get("delete_original")).lower() == "true":
            self.delete(context.channel, original)
            return
        if original and str(payload.get("replace_original")).lower() == "true":
            self.update(context.channel, original, text, blocks or [])
            return
        if not text and not blocks:
            return
        public = payload.get("response_type") == "in_channel"
        self.post(
            context.channel,
            self.bot_user,
            text,
            blocks,
            thread_ts=context.thread_ts,
            ephemeral_to=None if public else context.user,
        )

    def respond_to_url(self, token: str, payload: dict[str, Any]) -> bool:
        with self._changed:
            context = self._responses.get(token)
        if context is None:
            return False
        self.respond(context, payload)
        return True

    # ----- modals and App Home
    def _new_view(self, user: str | None, definition: Any, root: str | None, previous: str | None) -> View:
        view_id = f"V{next(self._ids):06d}"
        view = View(view_id, user, as_view(definition), f"{int(time.time())}.{view_id}", root or view_id)
        view.previous_view_id = previous
        self.views[view_id] = view
        return view

    def _touch(self, kind: str, user: str | None) -> None:
        if user is not None:
            self._seen[(kind, user)] = self._bump()

    def open_view(self, trigger_id: str, definition: Any) -> View:
        with self._changed:
            user = self._trigger_user(trigger_id)
            view = self._new_view(user, definition, None, None)
            if user is not None:
                self.modals[user] = [view]
            self._touch("modal", user)
            return view

    def push_view(self, trigger_id: str, definition: Any) -> View:
        with self._changed:
            return self.push_for(self._trigger_user(trigger_id), definition)

    def push_for(self, user: str | None, definition: Any) -> View:
        """views.push, or `response_action: push`: a new view on top of the person's stack."""
        with self._changed:
            stack = self.modals.setdefault(user, []) if user is not None else []
            if self.strict and (not stack or len(stack) >= 3):
                raise SlackError("push_limit_reached" if stack else "not_found")
            top = stack[-1] if stack else None
            view = self._new_view(
                user, definition, top.root_view_id if top else None, top.id if top else None
            )
            stack.append(view)
            self._touch("modal", user)
            return view

    def replace_view(self, view_id: str, definition: Any) -> View:
        """views.update, or `response_action: update`: the same view id, new content, errors cleared."""
        with self._changed:
            view = self.views.get(view_id)
            if view is None:
                if self.strict:
                    raise SlackError("not_found")
                return self._new_view(None, definition, None, None)
            view.definition = as_view(definition)
            view.errors = {}
            view.hash = f"{int(time.time())}.{view_id}.{self.seq}"
            self._touch("home" if view.definition.get("type") == "home" else "modal", view.user)
            return view

    def publish_home(self, user: str, definition: Any) -> View:
        with self._changed:
            view = self.homes.get(user)
            if view is None:
                view = self._new_view(user, definition, None, None)
                self.homes[user] = view
            else:
                view.definition = as_view(definition)
            self._touch("home", user)
            return view

    def set_errors(self, view_id: str, errors: dict[str, str]) -> None:
        with self._changed:
            view = self.views.get(view_id)
            if view is not None:
                view.errors = {str(k): str(v) for k, v in errors.items()}
                self._touch("modal", view.user)

    def close_view(self, user: str, view_id: str, clear: bool = False) -> None:
        """The view is submitted or closed: it leaves the stack (`clear`: the whole stack goes)."""
        with self._changed:
            stack = self.modals.get(user, [])
            if clear:
                stack.clear()
            else:
                self.modals[user] = [view for view in stack if view.id != view_id]
            self._touch("modal", user)

    def top_view(self, user: str) -> View | None:
        with self._changed:
            stack = self.modals.get(user) or []
            return stack[-1] if stack else None

    # ----- reading
    def visible_to(self, user: str, since: int = 0) -> dict[str, Any]:
        """What `user` sees that changed after `since`: messages, their modal stack and their App Home."""
        with self._changed:
            messages = [
                message.as_dict()
                for message in self.messages.values()
                if message.seq > since and self.can_see(user, message)
            ]
            result: dict[str, Any] = {"seq": self.seq, "messages": messages}
            if self._seen.get(("modal", user), 0) > since:
                result["modals"] = [view.as_dict() for view in self.modals.get(user, [])]
            if self._seen.get(("home", user), 0) > since and user in self.homes:
                result["home"] = self.homes[user].as_dict()
            return result

    @staticmethod
    def can_see(user: str, message: Message) -> bool:
        if message.ephemeral_to is not None and message.ephemeral_to != user:
            return False
        return not message.channel.startswith("D") or message.channel == "D" + user

    def wait_for_change(self, since: int, timeout: float) -> int:
        """Block until something changes after `since` (or the timeout passes); the newest seq."""
        with self._changed:
            self._changed.wait_for(lambda: self.seq > since, timeout=timeout)
            return self.seq

    def wake_all(self) -> None:
        """A change with nothing in it (the clock moved, the sandbox stops): every waiting reader returns."""
        with self._changed:
            self._bump()

    def clear(self) -> None:
        with self._changed:
            self.messages.clear()
            self.modals.clear()
            self.views.clear()
            self.homes.clear()
            self._triggers.clear()
            self._responses.clear()
            self._bump()
