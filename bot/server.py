"""HTTP mode: one WSGI app with `POST /slack/events` and `GET /healthz`, served by waitress."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.health import HEALTH_PATH, health_response
from bot.runtime import Runtime

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller; refuse anything absurd

StartResponse = Callable[..., Any]


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def make_wsgi_app(rt: Runtime, app: App) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return health_response(rt, start_response)  # the same answer as Socket Mode's (bot/health.py)
        if path == EVENTS_PATH:
            if method != "POST":
                return _json(start_response, "405 Method Not Allowed", {"error": "use POST"})
            if int(environ.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
                return _json(start_response, "413 Payload Too Large", {"error": "request too large"})
            return slack(environ, start_response)
        return _json(start_response, "404 Not Found", {"error": "not found"})

    return wsgi


def make_http_server(rt: Runtime, app: App, host: str, port: int, threads: int = 16) -> Any:
    """A waitress server object; `.run()` serves until `.close()`. Port 0 picks a free port."""
    from waitress.server import create_server

    return create_server(make_wsgi_app(rt, app), host=host, port=port, threads=threads, ident="flagpost")


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
