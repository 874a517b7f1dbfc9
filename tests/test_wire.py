"""The foundation, through Slack's real wire protocol: signatures, url_verification, re-deliveries, health."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.db import make_engine
from bot.events import ProcessedEvent
from bot.slack.testkit import payloads
from tests.conftest import EMPLOYEE, MODERATOR
from tests.harness import BotClient

PAYLOADS = Path(__file__).resolve().parents[2] / "shared" / "slack-payloads"


def test_url_verification_echoes_the_challenge(bot: BotClient) -> None:
    payload = {
        "token": "x",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    if (PAYLOADS / "url_verification.json").exists():
        payload = json.loads((PAYLOADS / "url_verification.json").read_text())["payload"]
    result = bot.post(json.dumps(payload), payloads.JSON)
    assert result.status == 200
    assert result.json() == {"challenge": payload["challenge"]}


def test_unsigned_request_is_refused(bot: BotClient) -> None:
    body = payloads.slash_command("/flag", "https://facebook.com/x hello", EMPLOYEE)[0]
    assert bot.post(body, payloads.FORM, sign=False).status == 401
    assert bot.query(lambda s: s.scalar(select(func.count()).select_from(ProcessedEvent))) == 0


def test_wrong_signature_is_refused(bot: BotClient) -> None:
    body = payloads.slash_command("/flag", "https://facebook.com/x hello", EMPLOYEE)[0]
    assert bot.post(body, payloads.FORM, secret="not-the-secret").status == 401
    assert bot.slack.calls == []


def test_stale_timestamp_is_refused(bot: BotClient) -> None:
    body = payloads.slash_command("/flag", "https://facebook.com/x hello", EMPLOYEE)[0]
    six_minutes_ago = int(time.time()) - 6 * 60
    assert bot.post(body, payloads.FORM, timestamp=six_minutes_ago).status == 401


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


def home_opened(user: str) -> dict:
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}


def test_a_redelivered_event_is_processed_once(bot: BotClient) -> None:
    first = bot.event(home_opened(EMPLOYEE), event_id="Ev0REDELIVER")
    again = bot.event(home_opened(EMPLOYEE), event_id="Ev0REDELIVER", retry_num=1)
    third = bot.event(home_opened(EMPLOYEE), event_id="Ev0REDELIVER", retry_num=2)
    assert (first.status, again.status, third.status) == (200, 200, 200)
    assert len(bot.slack.of("views.publish")) == 1
    bot.event(home_opened(EMPLOYEE), event_id="Ev0ANOTHER")
    assert len(bot.slack.of("views.publish")) == 2


def test_app_home_shows_the_board_to_moderators_and_own_flags_to_everyone(bot: BotClient) -> None:
    bot.command("/flag", "https://www.facebook.com/town/posts/1 when does the pool open?", EMPLOYEE)
    bot.event(home_opened(EMPLOYEE))
    employee_home = bot.slack.of("views.publish")[-1]
    assert employee_home["user_id"] == EMPLOYEE
    assert "Your flags" in employee_home.all_text() and "F-1" in employee_home.all_text()
    assert "On the board" not in employee_home.all_text()
    bot.event(home_opened(MODERATOR))
    moderator_home = bot.slack.of("views.publish")[-1].all_text()
    assert "On the board: 1 open, 1 unclaimed" in moderator_home and "F-1" in moderator_home


def test_a_signed_request_while_slack_is_unreachable_is_503_and_says_why(bot: BotClient, caplog) -> None:
    """Bolt asks auth.test once, on the first request after start; if Slack cannot be reached then, the
    request was still signed: 503 (Slack retries), and the log names the network, not the signature."""
    bot.slack.fail_next("auth.test", disconnect=True, times=5)
    with caplog.at_level(logging.ERROR, logger="flagpost"):
        result = bot.command("/policy", "how often do we change the password", EMPLOYEE)
    assert result.status == 503 and result.text == ""
    assert "could not reach Slack's API to authorize a request" in caplog.text
    assert "failed before verification" not in caplog.text
    bot.slack.heal()
    assert bot.command("/policy", "how often do we change the password", EMPLOYEE).status == 200
