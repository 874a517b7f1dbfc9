"""A running Flagpost on a loopback port, driven by signed requests exactly as Slack sends them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from bot.runtime import Runtime
from bot.scheduler import run_due_work
from bot.server import stop_http_server
from bot.slack.testkit import payloads
from bot.slack.testkit.signing import signed_headers
from bot.slack.testkit.socket import SocketModeStandIn
from bot.slack.testkit.standin import Call, SlackStandIn

SIGNING_SECRET = "test-signing-secret"


@dataclass
class HttpResult:
    status: int
    body: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def text(self) -> str:
        """The ephemeral text of a slash command's immediate answer."""
        data = self.json() or {}
        return str(data.get("text", "")) if isinstance(data, dict) else ""


class BotClient:
    """Talks to a running Flagpost as Slack would: over HTTP (signed requests to /slack/events), or, given a
    Socket Mode stand-in the bot is connected to, as envelopes over the WebSocket."""

    def __init__(
        self, rt: Runtime, app: App, slack: SlackStandIn, server: Any, socket: SocketModeStandIn | None = None
    ):
        import threading

        self.rt = rt
        self.app = app
        self.slack = slack
        self.server = server
        self.socket = socket
        self.base_url = f"http://127.0.0.1:{server.effective_port}"
        self._thread = threading.Thread(target=server.run, name="waitress", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.wait()
        stop_http_server(self.server, self._thread)
        self.rt.executor.shutdown(wait=True)
        self.rt.delivery_pool.shutdown(wait=True)

    # ----- raw HTTP
    def post(
        self,
        body: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
    ) -> HttpResult:
        all_headers = {"Content-Type": content_type, "Connection": "close"}
        if sign:
            all_headers.update(signed_headers(secret, body, timestamp))
        all_headers.update(headers or {})
        request = urllib.request.Request(
            self.base_url + "/slack/events", data=body.encode(), headers=all_headers, method="POST"
        )
        return self._send(request)

    def send(
        self, body: payloads.Body, headers: dict[str, str] | None = None, wait: bool = True
    ) -> HttpResult:
        """Sign and POST one of the test kit's payloads; by default wait for the work it started."""
        result = self.post(*body, headers=headers)
        if wait:
            self.wait()
        return result

    def get(self, path: str) -> HttpResult:
        return self._send(urllib.request.Request(self.base_url + path, headers={"Connection": "close"}))

    @staticmethod
    def _send(request: urllib.request.Request) -> HttpResult:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return HttpResult(response.status, response.read().decode(), time.perf_counter() - started)
        except urllib.error.HTTPError as error:
            return HttpResult(error.code, error.read().decode(), time.perf_counter() - started)

    def query(self, read: Any) -> Any:
        """Look at the database the way the bot left it: `bot.query(lambda s: s.get(Flag, 1))`."""
        with self.rt.sessions() as session:
            return read(session)

    def wait(self) -> None:
        """Until every listener and every Slack delivery started so far has finished."""
        assert self.rt.wait_idle(timeout=30), "background work did not finish"

    def tick(self, **advance: float) -> None:
        """Move the frozen clock (`minutes=15`, `hours=2`…), then run one scheduler tick to completion."""
        if advance:
            self.rt.clock.advance(**advance)  # type: ignore[attr-defined]
        self.wait()
        run_due_work(self.rt)
        self.wait()

    # ----- Slack's request shapes
    def command(
        self, command: str, text: str, user: str, channel: str = "C0GENERAL", wait: bool = True
    ) -> HttpResult:
        body = payloads.slash_command(
            command, text, user, channel=channel, response_url=self.slack.response_url("cmd")
        )
        return self.send(body, wait=wait)

    def press(
        self,
        action_id: str,
        user: str,
        message: Call | dict[str, Any] | None = None,
        wait: bool = True,
        **choice: Any,
    ) -> HttpResult:
        """Click what the bot rendered: the element `action_id` in `message` (a recorded call, or a dict
        with `blocks`), by default the newest message or update that shows it. For a select, pass
        `selected_option="value"`."""
        channel, ts, blocks = self._shown(action_id, message)
        element = payloads.find_element(blocks, action_id)
        if "selected_option" in choice:
            element["selected_option"] = {
                "value": choice["selected_option"],
                "text": {"type": "plain_text", "text": str(choice["selected_option"])},
            }
        shown = {"type": "message", "ts": ts, "text": "", "blocks": blocks}
        body = payloads.block_actions(
            element, user, channel=channel, message=shown, response_url=self.slack.response_url("action")
        )
        return self.send(body, wait=wait)

    def _shown(self, action_id: str, message: Call | dict[str, Any] | None) -> tuple[str, str, list]:
        if isinstance(message, Call):
            return message.get("channel", ""), message.response.get("ts", ""), message.blocks
        if isinstance(message, dict):
            return message.get("channel", "C0GENERAL"), message.get("ts", ""), message["blocks"]
        for call in reversed(self.slack.of("chat.postMessage") + self.slack.of("chat.update")):
            try:
                payloads.find_element(call.blocks, action_id)
            except LookupError:
                continue
            return call.get("channel", ""), str(call.get("ts") or call.response.get("ts", "")), call.blocks
        raise AssertionError(f"no message shows {action_id!r}")

    def click(
        self, action_id: str, value: str, user: str, block_id: str = "b", wait: bool = True
    ) -> HttpResult:
        """A click with any value at all, as a forged or stale request would send it."""
        element = {"action_id": action_id, "value": value, "block_id": block_id, "type": "button"}
        return self.send(
            payloads.block_actions(element, user, response_url=self.slack.response_url("action")), wait=wait
        )

    def submit(self, view: dict[str, Any], values: dict[str, Any], user: str) -> HttpResult:
        """Submit a modal Flagpost opened; `values` maps block_id to what the user entered."""
        return self.send(payloads.view_submission(view, values, user))

    def message_shortcut(
        self, callback_id: str, user: str, text: str, channel: str = "C0GENERAL"
    ) -> HttpResult:
        body = payloads.message_shortcut(
            callback_id, user, text, channel=channel, response_url=self.slack.response_url("shortcut")
        )
        return self.send(body)

    def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        wait: bool = True,
    ) -> HttpResult:
        headers = (
            {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else {}
        )
        return self.send(payloads.event(event, event_id_=event_id), headers=headers, wait=wait)

    # ----- what Flagpost opened
    def last_view(self) -> dict[str, Any]:
        calls = self.slack.of("views.open")
        assert calls, "no modal was opened"
        view = calls[-1]["view"]
        return json.loads(view) if isinstance(view, str) else view
