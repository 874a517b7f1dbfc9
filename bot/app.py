"""The one factory for the Bolt App: its client, its error handler, once-only event processing, and the
listeners of every domain in the runtime's list."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from slack_bolt.context.respond import Respond
from slack_bolt.request import BoltRequest
from slack_sdk.errors import SlackClientError

from bot.errors import FlagpostError, InvalidInput
from bot.events import first_delivery
from bot.runtime import Runtime
from bot.slack import blocks as bk
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


def tell_user(rt: Runtime, error: Exception, body: dict[str, Any], respond: Any = None) -> None:
    """Say what went wrong after the request was acknowledged: via response_url, else by DM."""
    text = user_message_for(error)
    if respond is None and body.get("response_url"):
        respond = Respond(response_url=body["response_url"])
    try:
        if respond is not None and respond.response_url:
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif (user := actor_of(body)) is not None:
            rt.door.send_dm(user, text)
    except (SlackCallFailed, SlackClientError, OSError) as exc:
        log.warning("could not tell the user about an error: %s", exc)


def build_error_handler(rt: Runtime) -> Callable[..., BoltResponse | None]:
    """The one error handler. Before the ack, the reply rides on the HTTP response; after it, see tell_user."""

    def handle_error(
        error: Exception, body: dict[str, Any], respond: Any, response: BoltResponse | None
    ) -> BoltResponse | None:
        if response is None:  # already acknowledged
            tell_user(rt, error, body, respond)
            return None
        text = user_message_for(error)
        if "command" in body:
            payload: dict[str, Any] = {"response_type": "ephemeral", "text": text}
        elif body.get("type") == "view_submission" and isinstance(error, InvalidInput) and error.field:
            payload = {"response_action": "errors", "errors": {error.field: text}}  # shown on the field
        elif body.get("type") == "view_submission":
            # mrkdwn: our messages name people (<@U…>) and dates; user text in them is already escaped
            payload = {"response_action": "update", "view": bk.notice(text)}
        else:
            tell_user(rt, error, body, respond)
            return BoltResponse(status=200, body="")
        return BoltResponse(
            status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
        )

    return handle_error


class GuardedApp:
    """Registers listeners on the Bolt app so that an error raised after ack() still reaches the user.

    (Bolt's thread runner would replace an earlier ack with an empty response, and Slack would see a
    failure.) Listeners must take `ack` and `body`; Bolt injects by name, so the wrapper keeps the
    listener's signature."""

    def __init__(self, app: App, rt: Runtime):
        self.app = app
        self.rt = rt

    def _guard(self, listener: Callable[..., None]) -> Callable[..., None]:
        names = inspect.signature(listener).parameters
        if "ack" not in names or "body" not in names:
            raise TypeError(f"listener {listener.__name__} must take `ack` and `body`")

        @functools.wraps(listener)
        def guarded(**kwargs: Any) -> None:
            ack: Ack = kwargs["ack"]
            try:
                listener(**kwargs)
            except Exception as error:
                if ack.response is None:
                    raise  # not acknowledged yet: the error handler answers on the HTTP response
                tell_user(self.rt, error, kwargs["body"], kwargs.get("respond"))

        return guarded

    def _register(self, method: str, *args: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
        def decorator(listener: Callable[..., None]) -> Callable[..., None]:
            getattr(self.app, method)(*args)(self._guard(listener))
            return listener

        return decorator

    def command(self, name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
        return self._register("command", name)

    def action(self, action_id: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
        return self._register("action", action_id)

    def view(self, callback_id: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
        return self._register("view", callback_id)

    def shortcut(self, callback_id: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
        return self._register("shortcut", callback_id)

    def event(self, event_type: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
        return self._register("event", event_type)


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

    guarded = GuardedApp(app, rt)
    for domain in rt.domains:
        if domain.listeners is not None:
            domain.listeners(guarded, rt)
    return app
