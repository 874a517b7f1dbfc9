"""A stand-in for Slack's Web API on a loopback port.

It answers the methods Flagpost calls, records each call (method and parsed body), and can be told to fail:
HTTP 429 with Retry-After, HTTP 500, a dropped connection, or `ok: false` with a Slack error code.
It also keeps what a workspace would show (conversation.py beside it): the tests use the calls, the
try-it-without-Slack sandbox shows the conversation. As Slack does, `conversations.history` lists a channel's
messages with their metadata, `chat.update` of a deleted message answers `message_not_found`, and content over
Slack's limits is refused (limits.py). A call can be held after Slack has done it and before its answer
leaves, so a test can kill the caller in between.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.slack.testkit import limits
from bot.slack.testkit.conversation import Conversation, SlackError
from bot.slack.testkit.payloads import BOT_USER_ID, TEAM_ID

CONTROL_PATH = "/_standin/"
BOT_ID = "BFLAGPOST"


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.body[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.body.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else list(blocks)

    def all_text(self) -> str:
        """The message's text and every text inside its blocks (or view), joined for assertions."""
        parts: list[str] = [str(self.body.get("text") or "")]
        source: Any = self.blocks
        if "view" in self.body:
            view = self.body["view"]
            source = json.loads(view) if isinstance(view, str) else view
        _collect_text(source, parts)
        return "\n".join(parts)


def _collect_text(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "initial_value", "placeholder") and isinstance(value, str):
                out.append(value)
            else:
                _collect_text(value, out)
    elif isinstance(node, list):
        for item in node:
            _collect_text(item, out)


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 refuses connections under load tests
    daemon_threads = True


@dataclass
class _Failure:
    method: str | None  # None: any method
    status: int
    error: str | None
    retry_after: int | None
    disconnect: bool
    remaining: int
    done: bool = False  # Slack did the work before failing (a 5xx after the post, a connection lost late)


class SlackStandIn:
    """Start with `with SlackStandIn() as slack:`; point SLACK_API_URL at `slack.api_url`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] | None = None,
        strict: bool = False,
    ):
        self.calls: list[Call] = []
        self.responses: list[Call] = []  # posts to response_url
        self._failures: list[_Failure] = []
        self._fail_rate = 0.0
        self._random = random.Random(0)
        self._lock = threading.Lock()
        self.conversation = Conversation(BOT_USER_ID, clock=clock, strict=strict)
        self.users: dict[str, dict[str, Any]] = {}
        self._holds: list[tuple[str, threading.Event]] = []
        self._release = threading.Event()
        self.socket_url: str | None = None  # where apps.connections.open sends a Socket Mode client
        self._server = _Server((host, port), self._handler_class())
        self._thread: threading.Thread | None = None

    # ----- lifecycle
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self, name: str = "r") -> str:
        return f"{self.base_url}/response/{name}"

    def start(self) -> SlackStandIn:
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- telling it to fail
    def fail_next(
        self,
        method: str | None = None,
        *,
        status: int = 500,
        error: str | None = None,
        retry_after: int | None = None,
        disconnect: bool = False,
        times: int = 1,
        done: bool = False,
    ) -> None:
        """The next `times` calls (of `method`, or of any method) fail the way given; with `done`, after
        doing what they asked (the message is posted, the caller never hears so)."""
        with self._lock:
            self._failures.append(_Failure(method, status, error, retry_after, disconnect, times, done))

    def fail_randomly(self, rate: float, seed: int = 0) -> None:
        """Each call fails with HTTP 500 with probability `rate` (for load tests)."""
        with self._lock:
            self._fail_rate = rate
            self._random = random.Random(seed)

    def heal(self) -> None:
        with self._lock:
            self._failures.clear()
            self._fail_rate = 0.0

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.responses.clear()
            self._failures.clear()
            self._fail_rate = 0.0
            self._holds.clear()
        self.conversation.clear()
        self.release()

    def hold_next(self, method: str) -> threading.Event:
        """The next call of `method` is done (a posted message exists in "Slack") but its answer is held until
        `release()`. Returns an event set when that call has been done, so a test can kill the caller then."""
        arrived = threading.Event()
        with self._lock:
            self._release.clear()
            self._holds.append((method, arrived))
        return arrived

    def release(self) -> None:
        self._release.set()

    def delete_message(self, channel: str, ts: str) -> None:
        """What a moderator deleting the message in Slack does."""
        self.conversation.delete(channel, ts)

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages a channel shows now (not deleted, not ephemeral), oldest first, with their metadata."""
        return list(reversed(self.conversation.history(channel, include_metadata=True)["messages"]))

    # ----- reading what happened
    def of(self, method: str) -> list[Call]:
        """Successful calls of `method`, in order."""
        with self._lock:
            return [call for call in self.calls if call.method == method and call.ok]

    def attempts(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def messages_to(self, channel: str) -> list[Call]:
        return [call for call in self.of("chat.postMessage") if call.get("channel") == channel]

    def dms_to(self, user: str) -> list[Call]:
        return self.messages_to(self.dm_channel(user))

    @staticmethod
    def dm_channel(user: str) -> str:
        return "D" + user

    def iter_texts(self) -> Iterator[str]:
        for call in list(self.calls):
            yield call.all_text()

    # ----- answering
    def _decide_failure(self, method: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method in (None, method) and failure.remaining > 0:
                    failure.remaining -= 1
                    if failure.remaining == 0:
                        self._failures.remove(failure)
                    return failure
            if self._fail_rate and self._random.random() < self._fail_rate:
                return _Failure(method, 500, None, None, False, 1)
        return None

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        refused = limits.refusal(method, body)
        if refused:
            return {"ok": False, "error": refused}
        if method == "conversations.history":
            return self.conversation.history(
                str(body.get("channel", "")),
                include_metadata=str(body.get("include_all_metadata", "")).lower() in ("true", "1"),
                limit=int(body.get("limit") or 100),
                cursor=str(body.get("cursor") or ""),
            )
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://town.slack.com/",
                "team": "Town",
                "user": "flagpost",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        if method == "apps.connections.open":
            if self.socket_url is None:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_url}
        if method == "chat.getPermalink":
            channel, ts = str(body.get("channel")), str(body.get("message_ts"))
            link = f"https://town.slack.com/archives/{channel}/p{ts.replace('.', '')}"
            return {"ok": True, "channel": channel, "permalink": link}
        if method.startswith(("chat.", "views.")):
            try:
                return self._converse(method, body)
            except SlackError as exc:
                return {"ok": False, "error": exc.error}
        if method == "conversations.open":
            user = str(body.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": self.dm_channel(user)}}
        if method == "users.info":
            user = str(body.get("user", ""))
            profile = self.users.get(user, {"real_name": f"User {user}"})
            return {
                "ok": True,
                "user": {
                    "id": user,
                    "name": user.lower(),
                    "tz": "America/Edmonton",
                    "deleted": False,
                    "is_bot": False,
                    "profile": profile,
                    **profile,
                },
            }
        return {"ok": False, "error": "unknown_method"}

    def _converse(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """The methods that change what people see, answered from the conversation model."""
        talk, channel = self.conversation, str(body.get("channel", ""))
        if method == "chat.postMessage":
            message = talk.post(
                channel,
                BOT_USER_ID,
                body.get("text", ""),
                body.get("blocks"),
                body.get("thread_ts"),
                metadata=body.get("metadata"),
            )
            return {
                "ok": True,
                "channel": channel,
                "ts": message.ts,
                "message": {"text": message.text, "ts": message.ts, "bot_id": BOT_ID},
            }
        if method == "chat.update":  # a deleted message answers message_not_found, as in Slack
            talk.update(channel, str(body.get("ts")), body.get("text"), body.get("blocks"))
            return {"ok": True, "channel": channel, "ts": body.get("ts"), "text": body.get("text")}
        if method == "chat.postEphemeral":
            message = talk.post(
                channel,
                BOT_USER_ID,
                body.get("text", ""),
                body.get("blocks"),
                body.get("thread_ts"),
                ephemeral_to=str(body.get("user")),
            )
            return {"ok": True, "message_ts": message.ts}
        if method == "chat.delete":
            talk.delete(channel, str(body.get("ts")))
            return {"ok": True, "channel": channel, "ts": body.get("ts")}
        trigger, view = str(body.get("trigger_id", "")), body.get("view")
        if method == "views.open":
            return {"ok": True, "view": talk.open_view(trigger, view).as_dict()}
        if method == "views.push":
            return {"ok": True, "view": talk.push_view(trigger, view).as_dict()}
        if method == "views.update":
            return {"ok": True, "view": talk.replace_view(str(body.get("view_id", "")), view).as_dict()}
        if method == "views.publish":
            return {"ok": True, "view": talk.publish_home(str(body.get("user_id", "")), view).as_dict()}
        return {"ok": False, "error": "unknown_method"}

    def _control(self, command: str, body: dict[str, Any]) -> dict[str, Any]:
        """Remote control for a stand-in running in another process (benchmarks, the sandbox)."""
        if command == "fail_randomly":
            self.fail_randomly(float(body.get("rate", 0)), int(body.get("seed", 0)))
        elif command == "heal":
            self.heal()
        elif command == "reset":
            self.reset()
        elif command == "calls":
            with self._lock:
                calls = [
                    {"method": c.method, "body": c.body, "status": c.status, "response": c.response}
                    for c in self.calls
                ]
            return {"ok": True, "calls": calls}
        else:
            return {"ok": False, "error": f"unknown control command {command!r}"}
        return {"ok": True}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _read_body(self) -> dict[str, Any]:
                query = dict(parse_qsl(urlsplit(self.path).query))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                if not raw:
                    return query
                if (self.headers.get("Content-Type") or "").startswith("application/json"):
                    return {**query, **json.loads(raw)}
                return {**query, **dict(parse_qsl(raw, keep_blank_values=True))}

            def _send(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                path = urlsplit(self.path).path
                body = self._read_body()
                if path.startswith(CONTROL_PATH):
                    self._send(200, standin._control(path[len(CONTROL_PATH) :], body))
                    return
                if path.startswith("/response/"):
                    call = Call(method="response_url", body=body, response={"ok": True})
                    with standin._lock:
                        standin.responses.append(call)
                    standin.conversation.respond_to_url(path[len("/response/") :], body)
                    self._send(200, {"ok": True})
                    return
                if not path.startswith("/api/"):
                    self._send(404, {"ok": False, "error": "not_found"})
                    return
                method = path[len("/api/") :]
                failure = standin._decide_failure(method)
                if failure and failure.done:
                    standin._answer(method, body)
                if failure and failure.disconnect:
                    with standin._lock:
                        standin.calls.append(Call(method, body, status=0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if failure and failure.error:
                    status, payload, headers = 200, {"ok": False, "error": failure.error}, {}
                elif failure:
                    status = failure.status
                    payload = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
                    headers = (
                        {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                    )
                else:
                    status, payload, headers = 200, standin._answer(method, body), {}
                call = Call(method, body, status=status, response=payload)
                with standin._lock:
                    standin.calls.append(call)
                    held = next((hold for hold in standin._holds if hold[0] == method), None)
                    if held:
                        standin._holds.remove(held)
                if held:
                    held[1].set()
                    standin._release.wait(timeout=120)
                with contextlib.suppress(OSError):  # a held caller may have been killed meanwhile
                    self._send(status, payload, headers)

            do_POST = _handle
            do_GET = _handle

        return Handler


def main() -> None:
    """`python -m bot.slack.testkit.standin [--port N]`: run the stand-in on its own until interrupted."""
    import argparse

    parser = argparse.ArgumentParser(description="A stand-in for Slack's Web API on a loopback port.")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    standin = SlackStandIn(port=args.port)
    print(f"Slack stand-in listening on {standin.api_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        standin._server.serve_forever()


if __name__ == "__main__":
    main()
