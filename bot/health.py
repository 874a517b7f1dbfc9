"""`GET /healthz` in both modes: is the database reachable, and in Socket Mode is the connection to Slack up?

HTTP mode answers it beside `POST /slack/events` (`bot/server.py`). Socket Mode has no HTTP server of its
own, so `flagpost run` serves this app, and nothing else, on PORT: Docker's health check and a load
balancer's probe work the same way in both modes. The answer names no organisation: it may be reachable
from wherever the port is published.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from bot import db

if TYPE_CHECKING:
    from bot.runtime import Runtime

HEALTH_PATH = "/healthz"
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def health(rt: Runtime, slack_connected: Callable[[], bool] | None = None) -> tuple[bool, dict[str, Any]]:
    """(healthy?, the JSON body). `slack_connected` is given in Socket Mode only."""
    payload: dict[str, Any] = {"status": "ok", "database": "ok"}
    try:
        db.ping(rt.engine)
    except SQLAlchemyError as exc:
        payload["database"] = f"unreachable: {type(exc).__name__}"
    if slack_connected is not None:
        payload["slack"] = "connected" if slack_connected() else "disconnected"
    healthy = payload["database"] == "ok" and payload.get("slack", "connected") == "connected"
    payload["status"] = "ok" if healthy else "unhealthy"
    return healthy, payload


def respond(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def health_response(
    rt: Runtime, start_response: StartResponse, slack_connected: Callable[[], bool] | None = None
) -> Iterable[bytes]:
    healthy, payload = health(rt, slack_connected)
    return respond(start_response, "200 OK" if healthy else "503 Service Unavailable", payload)


def health_only_app(rt: Runtime, slack_connected: Callable[[], bool]) -> WsgiApp:
    """Socket Mode's HTTP side: `/healthz`, and 404 for everything else."""

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return health_response(rt, start_response, slack_connected)
        return respond(start_response, "404 Not Found", {"error": "not found"})

    return wsgi
