"""The sandbox's HTTP routes: the page, its static files, and the JSON API the page talks to. Everything
else (`/slack/events`, `/healthz`) goes to the bot's own WSGI app, unchanged.

    GET  /                      the page
    GET  /sandbox/static/NAME   its script, style sheet and icons
    GET  /sandbox/api/world     people (with roles), channels, commands, shortcuts, clock, tour
    GET  /sandbox/api/feed      ?as=USER&since=SEQ[&wait=SECONDS]: what USER sees that changed after SEQ
    GET  /sandbox/api/tour      the guided tour's steps, ticked from the audit trail
    POST /sandbox/api/send      {as, channel, text, thread_ts?}: a message or a /command
    POST /sandbox/api/action    {as, block_id, action_id, value?, channel+ts | view_id, values?}
    POST /sandbox/api/shortcut  {as, channel, ts, callback_id}: a message shortcut
    POST /sandbox/api/submit    {as, view_id, values}: submit the modal
    POST /sandbox/api/close     {as, view_id, values?}: close it
    POST /sandbox/api/home      {as}: open App Home (app_home_opened)
    POST /sandbox/api/clock     {minutes} | {to: "HH:MM"}: move the clock forward, then run what is due

`values` maps block_id → action_id → what was typed or chosen (a text, an option's value, a user id, a
"YYYY-MM-DD" date, or a list of them for checkboxes and multi-selects).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable, Iterable
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from bot.sandbox.workspace import Refused

if TYPE_CHECKING:
    from bot.sandbox.run import Sandbox

StartResponse = Callable[..., Any]
WSGI = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
API = "/sandbox/api/"
STATIC = "/sandbox/static/"
MAX_BODY = 64_000
MAX_WAIT = 25.0
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
SECURITY_HEADERS = [
    # the page builds its DOM with textContent only; no inline script or style may run
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
]


class BadRequest(Exception):
    pass


def _reply(start_response: StartResponse, status: str, data: bytes, content_type: str) -> Iterable[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(data))), *SECURITY_HEADERS]
    start_response(status, headers)
    return [data]


def _json(start_response: StartResponse, status: str, payload: Any) -> Iterable[bytes]:
    return _reply(start_response, status, json.dumps(payload).encode(), "application/json")


def _static(start_response: StartResponse, name: str) -> Iterable[bytes]:
    folder = resources.files("bot.sandbox") / "static"
    names = {entry.name for entry in folder.iterdir() if entry.is_file()}
    if name not in names:  # only the files that are there: no paths, no "..", nothing else on disk
        return _json(start_response, "404 Not Found", {"error": "not found"})
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    kind += "; charset=utf-8" if kind.startswith("text/") or kind.endswith("javascript") else ""
    return _reply(start_response, "200 OK", (folder / name).read_bytes(), kind)


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    if not (environ.get("CONTENT_TYPE") or "").startswith("application/json"):
        raise BadRequest("send JSON (Content-Type: application/json)")  # a form from another site cannot
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY:
        raise BadRequest("request too large")
    try:
        data = json.loads(environ["wsgi.input"].read(length) or b"{}")
    except ValueError:
        raise BadRequest("the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("send a JSON object")
    return data


def _text(data: dict[str, Any], key: str, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > 4000:
        raise BadRequest(f"{key} must be a text")
    return value


def _values(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values = data.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise BadRequest("values must map block_id to {action_id: value}")
    return values


def make_sandbox_wsgi(sandbox: Sandbox, bot: WSGI) -> WSGI:
    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in ("/", "/sandbox", "/sandbox/") or path.startswith(("/sandbox/", "/favicon")):
            host = (environ.get("HTTP_HOST") or "").rsplit(":", 1)[0]
            if host not in LOCAL_HOSTS:  # a page of another site, reaching here by DNS rebinding
                return _json(start_response, "403 Forbidden", {"error": "open the sandbox at 127.0.0.1"})
        if path in ("/", "/sandbox", "/sandbox/"):
            return _static(start_response, "index.html")
        if path.startswith(STATIC):
            return _static(start_response, path[len(STATIC) :])
        if path == "/favicon.ico":
            return _static(start_response, "favicon.svg")
        if not path.startswith(API):
            return bot(environ, start_response)
        try:
            status, payload = _route(sandbox, environ, path[len(API) :])
        except BadRequest as exc:
            status, payload = "400 Bad Request", {"error": str(exc)}
        except Refused as exc:
            status, payload = "409 Conflict", {"error": str(exc)}
        return _json(start_response, status, payload)

    return wsgi


def _route(sandbox: Sandbox, environ: dict[str, Any], name: str) -> tuple[str, Any]:
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "GET" and name in ("world", "feed", "tour"):
        query = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if name == "world":
            return "200 OK", sandbox.describe()
        if name == "tour":
            return "200 OK", {"steps": sandbox.tour()}
        user = sandbox.person(query.get("as", ""))
        try:
            since, wait = int(query.get("since", "0")), min(float(query.get("wait", "0")), MAX_WAIT)
        except ValueError:
            raise BadRequest("since and wait are numbers") from None
        return "200 OK", sandbox.feed(user, since, max(wait, 0.0))
    if method == "POST" and name == "clock":
        return "200 OK", sandbox.move_clock(_body(environ))
    if method != "POST" or name not in POSTS:
        return "404 Not Found", {"error": f"no such call: {method} {API}{name}"}
    data = _body(environ)
    outcome = POSTS[name](sandbox, sandbox.person(_text(data, "as")), data)
    return "200 OK", {**outcome.as_dict(), "seq": sandbox.talk.seq}


POSTS: dict[str, Callable[..., Any]] = {
    "send": lambda s, user, d: s.workspace.send(
        user, _text(d, "channel"), _text(d, "text"), _text(d, "thread_ts", required=False) or None
    ),
    "action": lambda s, user, d: s.workspace.act(
        user,
        _text(d, "block_id"),
        _text(d, "action_id"),
        d.get("value"),
        channel=_text(d, "channel", required=False),
        ts=_text(d, "ts", required=False),
        view_id=_text(d, "view_id", required=False),
        values=_values(d),
    ),
    "shortcut": lambda s, user, d: s.workspace.shortcut(
        user, _text(d, "channel"), _text(d, "ts"), _text(d, "callback_id")
    ),
    "submit": lambda s, user, d: s.workspace.submit(user, _text(d, "view_id"), _values(d)),
    "close": lambda s, user, d: s.workspace.close(user, _text(d, "view_id"), _values(d)),
    "home": lambda s, user, d: s.workspace.open_home(user),
}
