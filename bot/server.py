"""HTTP mode: one WSGI app with `POST /slack/events` and `GET /healthz`, served by waitress.

The front door: a request to `/slack/events` is checked here, before Bolt sees it. Its size is refused on the
Content-Length header; its Slack signature and timestamp are checked strictly over the raw bytes; its body
must parse into the shapes Bolt reads. Anything else gets a 4xx and one short log line, and nothing of it
reaches a listener, the error handler, a `response_url` or the Slack door.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest
from slack_bolt.request import payload_utils as shapes
from slack_bolt.request.internals import build_context

from bot.health import HEALTH_PATH, health_response
from bot.runtime import Runtime

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller; refuse anything absurd
SIGNATURE_WINDOW_SECONDS = 5 * 60  # Slack's own rule: older requests may be replays
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: int() would also take " 1", "1_0" or "١"
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# What Bolt reads out of every body before any listener runs (bolt's build_required_kwargs); a body on
# which one of these fails would be a 500 inside Bolt, so it is refused here instead.
_BOLT_READS = (
    shapes.to_options,
    shapes.to_shortcut,
    shapes.to_action,
    shapes.to_view,
    shapes.to_command,
    shapes.to_event,
    shapes.to_message,
    shapes.to_step,
)
_UNREADABLE = (ValueError, RecursionError, TypeError, AttributeError, KeyError, IndexError)

StartResponse = Callable[..., Any]


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _printable(text: str, limit: int = 80) -> str:
    """Client-controlled text fit for one log line: clipped, newlines and control characters escaped."""
    return text[:limit].encode("unicode_escape").decode("ascii") + ("…" if len(text) > limit else "")


def refuse(
    start_response: StartResponse, environ: dict[str, Any], status: str, reason: str, size: int = 0
) -> Iterable[bytes]:
    """A 4xx with a short body, and one short, escaped log line: never the body itself."""
    level = logging.INFO if status[:3] in ("404", "405") else logging.WARNING
    log.log(
        level,
        "refused %s %s: %s (%s bytes)",
        _printable(str(environ.get("REQUEST_METHOD", "")), 10),
        _printable(str(environ.get("PATH_INFO", ""))),
        reason,
        size,
    )
    return _json(start_response, status, {"error": reason})


def signature_refusal(secret: str, timestamp: str, signature: str, body: bytes, now: float) -> str | None:
    """None when Slack signed exactly these bytes within the last five minutes; else why not, in a few words.
    Every header is read strictly: a malformed one is a refusal, never an error."""
    if not timestamp or not signature:
        return "unsigned"
    if not _TIMESTAMP.fullmatch(timestamp):
        return "malformed timestamp"
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
        return "stale timestamp"
    if not _SIGNATURE.fullmatch(signature):
        return "malformed signature"
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    if not hmac.compare_digest("v0=" + mac.hexdigest(), signature):
        return "bad signature"
    return None


def bolt_request(environ: dict[str, Any], body: bytes) -> BoltRequest | None:
    """The request as Bolt will read it, or None when the (verified) body is not something Slack sends."""
    try:
        text = body.decode("utf-8")
        request = BoltRequest(
            body=text, query=environ.get("QUERY_STRING", ""), headers=WsgiHttpRequest(environ).get_headers()
        )
        if not request.body and "payload" in text and not text.startswith("{"):
            # Bolt reads any form body with the word "payload" in it as an interactive payload, and finds
            # none when it is a slash command's text ("/flag … the payload…"): read it as the form it is.
            fields = dict(parse_qsl(text, keep_blank_values=True))
            request.body, request.context = fields, build_context(BoltContext({}), fields)
        body_kind = request.body.get("type", request.body.get("command", request.body.get("ssl_check")))
        if not isinstance(body_kind, str):  # every body Slack sends is typed (or a command, or ssl_check)
            return None
        for read in _BOLT_READS:
            read(request.body)
    except _UNREADABLE:
        return None
    return request


def make_wsgi_app(rt: Runtime, app: App) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    secret = rt.settings.signing_secret or ""

    def slack_request(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length_text = str(environ.get("CONTENT_LENGTH") or "0")
        if not length_text.isascii() or not length_text.isdigit():
            return refuse(start_response, environ, "400 Bad Request", "bad content-length")
        length = int(length_text)
        if length > MAX_BODY_BYTES:  # refused on the header: the body is never read
            return refuse(start_response, environ, "413 Payload Too Large", "request too large", length)
        body = environ["wsgi.input"].read(length) if length else b""
        reason = signature_refusal(
            secret,
            str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")),
            str(environ.get("HTTP_X_SLACK_SIGNATURE", "")),
            body,
            time.time(),
        )
        if reason is not None:
            return refuse(start_response, environ, "401 Unauthorized", reason, len(body))
        request = bolt_request(environ, body)
        if request is None:
            return refuse(start_response, environ, "400 Bad Request", "unreadable body", len(body))
        answer = app.dispatch(request)
        response = WsgiHttpResponse(status=answer.status, headers=answer.headers, body=answer.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return health_response(rt, start_response)  # the same answer as Socket Mode's (bot/health.py)
        if path == EVENTS_PATH:
            if method != "POST":
                return refuse(start_response, environ, "405 Method Not Allowed", "use POST")
            return slack_request(environ, start_response)
        return refuse(start_response, environ, "404 Not Found", "not found")

    return wsgi


# What waitress lets in. Slack sends whole requests of a few kilobytes and gives up after 3 s, so a client that
# trickles its request, or sits idle, is not Slack: it is dropped after CHANNEL_TIMEOUT_SECONDS, and the room
# for open connections is wide enough that a few hundred of them cannot lock Slack out meanwhile. A public
# deployment still belongs behind a reverse proxy (README, "Operations").
WAITRESS_LIMITS: dict[str, Any] = {
    "connection_limit": 1000,  # waitress's default of 100 fell to 130 idle sockets
    "asyncore_use_poll": True,  # select() cannot watch more than 1,024 sockets
    "channel_timeout": 15,  # seconds of silence before a connection is closed
    "cleanup_interval": 5,  # how often waitress looks for such connections
    "max_request_header_size": 32 * 1024,
    "max_request_body_size": MAX_BODY_BYTES + 1,  # waitress refuses ">= this" on the Content-Length header
}


def make_http_server(rt: Runtime, app: App, host: str, port: int, threads: int = 16) -> Any:
    """A waitress server object; `.run()` serves until `.close()`. Port 0 picks a free port."""
    from waitress.server import create_server

    return create_server(
        make_wsgi_app(rt, app), host=host, port=port, threads=threads, ident="flagpost", **WAITRESS_LIMITS
    )


def stop_http_server(server: Any, thread: Any = None, timeout: float = 10.0) -> None:
    """Stop a server that `.run()`s in another thread. First let its worker threads finish (each pulls the
    loop's trigger when it is done, so the trigger must outlive them); then close every socket from inside
    the loop's own thread (closing them from outside races with select), which ends the loop."""
    server.task_dispatcher.shutdown(timeout=timeout)

    def close_everything() -> None:
        for channel in list(server._map.values()):
            channel.close()

    loop_running = thread is None or thread.is_alive()
    try:
        if loop_running:
            server.trigger.pull_trigger(close_everything)
    except OSError:  # the trigger is already closed: the loop is ending on its own
        loop_running = False
    if not loop_running:
        close_everything()  # no loop left to race with
    if thread is not None:
        thread.join(timeout)
