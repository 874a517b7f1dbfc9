"""The one factory for the Bolt App: its client, its error handler, and once-only event processing."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.errors import FlagpostError
from bot.events import first_delivery
from bot.runtime import Runtime
from bot.slack.door import SlackCallFailed

log = logging.getLogger("flagpost")

SOCKET_MODE_PLACEHOLDER_SECRET = "socket-mode-requests-are-not-signed"


def actor_of(body: dict[str, Any]) -> str | None:
    """The Slack user behind any request shape: command, interactive payload or event."""
    if "user_id" in body:
        return str(body["user_id"])
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    event = body.get("event")
    if isinstance(event, dict):
        return event.get("user")
    return None


def user_message_for(error: Exception) -> str:
    """Typed errors speak for themselves; anything else gets an error id that is also in the log."""
    if isinstance(error, FlagpostError):
        return error.message
    error_id = uuid.uuid4().hex[:8]
    log.error("unexpected error %s", error_id, exc_info=error)
    return (
        f"Sorry, something went wrong on Flagpost's side and nothing was changed. "
        f"If it happens again, give your IT contact this error id: {error_id}."
    )


def _error_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Flagpost"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": text}}],
    }


def build_error_handler(rt: Runtime) -> Callable[..., BoltResponse | None]:
    def handle_error(
        error: Exception, body: dict[str, Any], respond: Any, response: BoltResponse | None
    ) -> BoltResponse | None:
        if not isinstance(error, FlagpostError):
            log.debug("listener failed", exc_info=error)
        text = user_message_for(error)
        not_acked = response is not None
        kind = body.get("type")
        if not_acked and "command" in body:
            return BoltResponse(
                status=200,
                body=json.dumps({"response_type": "ephemeral", "text": text}),
                headers={"content-type": "application/json"},
            )
        if not_acked and kind == "view_submission":
            return BoltResponse(
                status=200,
                body=json.dumps({"response_action": "update", "view": _error_view(text)}),
                headers={"content-type": "application/json"},
            )
        try:
            if respond is not None and respond.response_url:
                respond(text=text, response_type="ephemeral", replace_original=False)
            elif (user := actor_of(body)) is not None:
                rt.door.send_dm(user, text)
        except (SlackCallFailed, OSError) as exc:
            log.warning("could not tell the user about an error: %s", exc)
        return BoltResponse(status=200, body="") if not_acked else None

    return handle_error


def build_app(rt: Runtime) -> App:
    settings = rt.settings
    app = App(
        signing_secret=settings.signing_secret or SOCKET_MODE_PLACEHOLDER_SECRET,
        client=rt.door.client,  # carries the bot token, SLACK_API_URL and the retry handlers
        listener_executor=rt.executor,
        token_verification_enabled=False,  # `flagpost run` and `flagpost check` call auth.test themselves
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("flagpost.bolt"),
    )
    app.error(build_error_handler(rt))

    @app.middleware
    def once_per_event(
        body: dict[str, Any], request: BoltRequest, next: Callable[[], None]
    ) -> BoltResponse | None:
        event_id = body.get("event_id")
        if body.get("type") == "event_callback" and event_id:
            retry = request.headers.get("x-slack-retry-num", ["0"])[0]
            if not first_delivery(rt.sessions, str(event_id), rt.clock.now(), int(retry or 0)):
                log.info("event %s re-delivered (retry %s): already processed", event_id, retry)
                return BoltResponse(status=200, body="")
        next()
        return None

    from handlers import register_all

    register_all(app, rt)
    return app
