"""Build requests exactly as Slack sends them: signed bodies in the three wire formats."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier


def signed_headers(
    secret: str, body: str, timestamp: int | None = None, content_type: str = ""
) -> dict[str, str]:
    """v0 HMAC-SHA256 over `v0:{timestamp}:{body}`, as slack_sdk's SignatureVerifier computes it."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def slash_command_body(
    command: str, text: str, user_id: str, channel_id: str = "C0GENERAL", **extra: str
) -> str:
    fields = {
        "token": "verification_token",
        "team_id": "T0TOWN",
        "team_domain": "town",
        "channel_id": channel_id,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0FLAGPOST",
        "response_url": "https://hooks.slack.com/commands/T0TOWN/1/x",
        "trigger_id": "1000.2000.trigger",
        **extra,
    }
    return urlencode(fields)


def interactive_body(payload: dict[str, Any]) -> str:
    """Block actions, view submissions and shortcuts: one form field `payload` holding JSON."""
    return urlencode({"payload": json.dumps(payload)})


def event_body(payload: dict[str, Any]) -> str:
    return json.dumps(payload)


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
