"""A running Flagpost on a loopback port, driven by signed requests exactly as Slack sends them."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from itertools import count
from typing import Any

from slack_bolt import App

from bot.runtime import Runtime
from bot.server import stop_http_server
from bot.slack import signing
from bot.slack.standin import SlackStandIn

SIGNING_SECRET = "test-signing-secret"
_trigger_ids = count(1)
_event_ids = count(1)


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
    def __init__(self, rt: Runtime, app: App, slack: SlackStandIn, server: Any):
        self.rt = rt
        self.app = app
        self.slack = slack
        self.server = server
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
            all_headers.update(signing.signed_headers(secret, body, timestamp))
        all_headers.update(headers or {})
        request = urllib.request.Request(
            self.base_url + "/slack/events", data=body.encode(), headers=all_headers, method="POST"
        )
        return self._send(request)

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

    # ----- Slack's request shapes
    def command(
        self, command: str, text: str, user: str, channel: str = "C0GENERAL", wait: bool = True
    ) -> HttpResult:
        body = signing.slash_command_body(
            command,
            text,
            user,
            channel,
            response_url=self.slack.response_url("cmd"),
            trigger_id=f"{next(_trigger_ids)}.trigger",
        )
        result = self.post(body, signing.FORM)
        if wait:
            self.wait()
        return result

    def interactive(self, payload: dict[str, Any], wait: bool = True) -> HttpResult:
        result = self.post(signing.interactive_body(payload), signing.FORM)
        if wait:
            self.wait()
        return result

    def click(
        self,
        action_id: str,
        value: str,
        user: str,
        block_id: str = "b",
        channel: str = "C0MODERATE",
        message_ts: str = "1700000000.000001",
        wait: bool = True,
    ) -> HttpResult:
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": "T0TOWN"},
            "api_app_id": "A0FLAGPOST",
            "team": {"id": "T0TOWN"},
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "channel": {"id": channel},
            "trigger_id": f"{next(_trigger_ids)}.trigger",
            "response_url": self.slack.response_url("action"),
            "message": {"type": "message", "ts": message_ts, "text": "card", "blocks": []},
            "state": {"values": {}},
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "type": "button",
                    "action_ts": "1700000001.000001",
                }
            ],
        }
        return self.interactive(payload, wait=wait)

    def select(self, action_id: str, option_value: str, user: str, block_id: str) -> HttpResult:
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "api_app_id": "A0FLAGPOST",
            "team": {"id": "T0TOWN"},
            "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C0MODERATE"},
            "channel": {"id": "C0MODERATE"},
            "trigger_id": f"{next(_trigger_ids)}.trigger",
            "response_url": self.slack.response_url("action"),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "type": "static_select",
                    "selected_option": {"value": option_value, "text": {"type": "plain_text", "text": "x"}},
                }
            ],
        }
        return self.interactive(payload)

    def submit(self, view: dict[str, Any], values: dict[str, Any], user: str) -> HttpResult:
        """Submit a modal Flagpost opened: `values` maps block_id to a text or a selected option value."""
        state: dict[str, Any] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            block_id = block["block_id"]
            element = block["element"]
            value = values.get(block_id)
            if element["type"] in ("static_select", "radio_buttons"):
                option = (
                    {"value": value, "text": {"type": "plain_text", "text": str(value)}} if value else None
                )
                state[block_id] = {element["action_id"]: {"type": element["type"], "selected_option": option}}
            else:
                state[block_id] = {element["action_id"]: {"type": element["type"], "value": value}}
        payload = {
            "type": "view_submission",
            "team": {"id": "T0TOWN"},
            "user": {"id": user, "username": user.lower(), "team_id": "T0TOWN"},
            "api_app_id": "A0FLAGPOST",
            "trigger_id": f"{next(_trigger_ids)}.trigger",
            "view": {
                **view,
                "id": "V0001",
                "team_id": "T0TOWN",
                "state": {"values": state},
                "hash": "1.abc",
                "private_metadata": view.get("private_metadata", ""),
            },
            "response_urls": [],
        }
        return self.interactive(payload)

    def message_shortcut(
        self, callback_id: str, user: str, text: str, channel: str = "C0GENERAL"
    ) -> HttpResult:
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": f"{next(_trigger_ids)}.trigger",
            "team": {"id": "T0TOWN", "domain": "town"},
            "user": {"id": user, "name": user.lower()},
            "channel": {"id": channel, "name": "general"},
            "message_ts": "1700000000.000300",
            "message": {"type": "message", "text": text, "user": "U0SOMEONE", "ts": "1700000000.000300"},
            "response_url": self.slack.response_url("shortcut"),
        }
        return self.interactive(payload)

    def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        wait: bool = True,
    ) -> HttpResult:
        body = {
            "token": "verification_token",
            "team_id": "T0TOWN",
            "api_app_id": "A0FLAGPOST",
            "event": {"event_ts": "1700000000.000100", "ts": "1700000000.000100", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):08d}",
            "event_time": 1700000000,
            "authorizations": [
                {"team_id": "T0TOWN", "user_id": "UFLAGPOST", "is_bot": True, "is_enterprise_install": False}
            ],
        }
        headers = (
            {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else {}
        )
        result = self.post(signing.event_body(body), signing.JSON, headers=headers)
        if wait:
            self.wait()
        return result

    # ----- what Flagpost opened
    def last_view(self) -> dict[str, Any]:
        calls = self.slack.of("views.open")
        assert calls, "no modal was opened"
        view = calls[-1]["view"]
        return json.loads(view) if isinstance(view, str) else view
