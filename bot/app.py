"""The one factory for the Bolt App: its client, its error handler, once-only event processing, and the
listeners of every domain in the runtime's list."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.request import BoltRequest
from slack_sdk.errors import SlackClientError

from bot.errors import FlagpostError, InvalidInput
from bot.events import first_delivery
from bot.logs import describe_request
from bot.runtime import Runtime
from bot.slack import blocks as bk
from bot.slack.door import SlackCallFailed

log = logging.getLogger("flagpost")
request_log = logging.getLogger("flagpost.requests")

SOCKET_MODE_PLACEHOLDER_SECRET = "socket-mode-requests-are-not-signed"
# Set by the first global middleware. Bolt runs its own signature check before every global middleware (and
# skips it only in Socket Mode, where Slack's websocket is the proof), so a request without this mark in its
# context was never verified, and the error handler must not answer it.
VERIFIED = "flagpost_verified"


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


def storable(text: str) -> str:
    """User text as every database can keep it: NUL removed (PostgreSQL refuses it), a lone surrogate (which
    no UTF-8 can encode) replaced by U+FFFD. The rest of what the user typed is kept."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def keep_storable(node: Any) -> None:
    """Make every string in a request body storable, in place (Bolt's listeners read this same dict)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(value, str):
            node[key] = storable(value)
        else:
            keep_storable(value)


def response_urls(body: dict[str, Any]) -> list[object]:
    """Every response_url a payload carries (a modal may carry several)."""
    urls: list[object] = [body["response_url"]] if "response_url" in body else []
    many = body.get("response_urls")
    if isinstance(many, list):
        urls += [item.get("response_url") if isinstance(item, dict) else item for item in many]
    return urls


def tell_user(rt: Runtime, error: Exception, body: dict[str, Any], respond: Any = None) -> None:
    """Say what went wrong after the request was acknowledged: via response_url, else by DM."""
    text = user_message_for(error)
    url = getattr(respond, "response_url", None) or body.get("response_url")
    try:
        if url:
            rt.door.respond(str(url), text)
        elif (user := actor_of(body)) is not None:
            rt.door.send_dm(user, text)
    except (SlackCallFailed, SlackClientError, OSError) as exc:
        log.warning("could not tell the user about an error: %s", exc)


def build_error_handler(rt: Runtime) -> Callable[..., BoltResponse | None]:
    """The one error handler. Before the ack, the reply rides on the HTTP response; after it, see tell_user."""

    def handle_error(
        error: Exception,
        body: dict[str, Any],
        respond: Any,
        response: BoltResponse | None,
        context: BoltContext,
    ) -> BoltResponse | None:
        if not context.get(VERIFIED):  # failed before verification: answer nothing, tell nobody
            if isinstance(error, OSError | SlackClientError):  # Bolt's auth.test, after the signature passed
                log.error(
                    "could not reach Slack's API to authorize a request (%s): check outbound HTTPS to slack.com",
                    type(error).__name__,
                )
                return BoltResponse(status=503, body="") if response is not None else None
            log.warning("refused a request that failed before verification: %s", type(error).__name__)
            return BoltResponse(status=401, body="") if response is not None else None
        if response is None:  # already acknowledged
            tell_user(rt, error, body, respond)
            return None
        text = user_message_for(error)
        if "command" in body:
            payload: dict[str, Any] = {"response_type": "ephemeral", "text": text}
        elif body.get("type") == "view_submission" and isinstance(error, InvalidInput) and error.field:
            errors = {error.field: text, **error.more}
            payload = {"response_action": "errors", "errors": errors}  # each shown on its field
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


class FlagpostApp(App):
    """Bolt's App, logging one DEBUG line per handled request: HTTP and Socket Mode both dispatch here. It
    counts the requests being answered (`Runtime.in_flight`): work after the answer gives way to them."""

    in_flight: Any = None

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        with self.in_flight.answering() if self.in_flight is not None else contextlib.nullcontext():
            response = super().dispatch(req)
        if request_log.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - started) * 1000
            request_log.debug("%s: %s in %.0f ms", describe_request(req.body), response.status, elapsed)
        return response


def build_app(rt: Runtime) -> App:
    settings = rt.settings
    app = FlagpostApp(
        signing_secret=settings.signing_secret or SOCKET_MODE_PLACEHOLDER_SECRET,
        client=rt.door.client,  # carries the bot token, SLACK_API_URL and the retry handlers
        listener_executor=rt.executor,
        token_verification_enabled=False,  # `flagpost run` and `flagpost check` call auth.test themselves
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("flagpost.bolt"),
    )
    app.in_flight = rt.in_flight
    app.error(build_error_handler(rt))
    # Bolt logs the whole body of a request whose signature fails, at INFO; the front door (bot/server.py)
    # refuses those first, with a short line of its own, and this keeps Bolt quiet should one ever get here.
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)

    @app.middleware
    def verified_and_answerable(
        context: BoltContext, body: dict[str, Any], next: Callable[[], None]
    ) -> BoltResponse | None:
        """First of the global middleware: mark the request verified, and refuse one whose response_url is
        not Slack's (Slack never sends one; a forged one must not make Flagpost POST anywhere)."""
        context[VERIFIED] = True
        if not all(rt.door.may_respond_to(url) for url in response_urls(body)):
            log.warning("refused a signed request whose response_url is not Slack's")
            return BoltResponse(status=400, body="")
        next()
        return None

    @app.middleware
    def storable_input(body: dict[str, Any], next: Callable[[], None]) -> None:
        keep_storable(body)
        next()

    @app.middleware
    def once_only(
        body: dict[str, Any], request: BoltRequest, next: Callable[[], None]
    ) -> BoltResponse | None:
        """Slack re-delivers an event it saw no answer to (the same event_id), and whoever holds a signed
        request can replay it byte for byte within the signature's five minutes (the same signature): each
        is processed once. Keys share the processed-events table and its pruning."""
        retry = request.headers.get("x-slack-retry-num", ["0"])[0]
        if body.get("type") == "event_callback" and body.get("event_id"):
            key = str(body["event_id"])[:64]
        elif signature := request.headers.get("x-slack-signature", [""])[0]:
            key = "request:" + signature.removeprefix("v0=")[:56]
        else:  # Socket Mode: no signature to replay (its events are keyed by event_id above)
            next()
            return None
        with rt.write_lock.first():  # before the answer: ahead of the work done after other answers
            first = first_delivery(rt.engine, key, rt.clock.now(), int(retry) if retry.isdigit() else 0)
        if not first:
            log.info("%s seen before (retry %s): already processed", key[:24], retry[:4])
            return BoltResponse(status=200, body="")
        next()
        return None

    guarded = GuardedApp(app, rt)
    for domain in rt.domains:
        if domain.listeners is not None:
            domain.listeners(guarded, rt)
    return app
