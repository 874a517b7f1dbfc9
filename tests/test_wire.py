"""The foundation, through Slack's real wire protocol: signatures, url_verification, re-deliveries, health."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.db import make_engine
from bot.events import ProcessedEvent
from bot.slack import signing
from tests.conftest import EMPLOYEE
from tests.harness import BotClient

PAYLOADS = Path(__file__).resolve().parents[2] / "shared" / "slack-payloads"


def test_url_verification_echoes_the_challenge(bot: BotClient) -> None:
    payload = {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
               "type": "url_verification"}
    if (PAYLOADS / "url_verification.json").exists():
        payload = json.loads((PAYLOADS / "url_verification.json").read_text())["payload"]
    result = bot.post(json.dumps(payload), signing.JSON)
    assert result.status == 200
    assert result.json() == {"challenge": payload["challenge"]}


def test_unsigned_request_is_refused(bot: BotClient) -> None:
    body = signing.slash_command_body("/flag", "https://facebook.com/x hello", EMPLOYEE)
    assert bot.post(body, signing.FORM, sign=False).status == 401
    assert bot.query(lambda s: s.scalar(select(func.count()).select_from(ProcessedEvent))) == 0


def test_wrong_signature_is_refused(bot: BotClient) -> None:
    body = signing.slash_command_body("/flag", "https://facebook.com/x hello", EMPLOYEE)
    assert bot.post(body, signing.FORM, secret="not-the-secret").status == 401
    assert bot.slack.calls == []


def test_stale_timestamp_is_refused(bot: BotClient) -> None:
    body = signing.slash_command_body("/flag", "https://facebook.com/x hello", EMPLOYEE)
    six_minutes_ago = int(time.time()) - 6 * 60
    assert bot.post(body, signing.FORM, timestamp=six_minutes_ago).status == 401


def test_healthz_reports_the_database(bot: BotClient) -> None:
    result = bot.get("/healthz")
    assert result.status == 200
    assert result.json()["database"] == "ok"


def test_healthz_says_when_the_database_is_unreachable(bot: BotClient) -> None:
    bot.rt.engine = make_engine("sqlite:////nonexistent-directory/flagpost.db")
    result = bot.get("/healthz")
    assert result.status == 503
    assert result.json()["status"] == "unhealthy"


def test_unknown_path_is_404(bot: BotClient) -> None:
    assert bot.get("/nope").status == 404
