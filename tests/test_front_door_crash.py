"""Kill the real bot between Slack's answer and the commit, restart it, see exactly one card (issue 8, item 7).

`flagpost run` runs as a subprocess in HTTP mode against the stand-in, on SQLite and PostgreSQL. The stand-in
posts the card and holds its answer; the test SIGKILLs the bot then, so the card is in Slack but its ts is in
no database. After the claim's lease runs out (the test moves it back instead of waiting a minute), the
restarted bot must find that message rather than post a second card.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, select, update

from bot import db
from bot.delivery import SlackCard
from bot.flags.models import FlagReport
from bot.slack.testkit import payloads
from bot.slack.testkit.signing import signed_headers
from bot.slack.testkit.standin import SlackStandIn
from tests.commands import start_bot
from tests.conftest import EMPLOYEE, ORG_FILE

SECRET = "crash-test-secret"
MODERATION = "C0MODERATE"
STARTUP_SECONDS = 90  # migrations and the policy index, on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_bot(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """`flagpost run`, until it says it listens; its log is drained so it never blocks on a full pipe."""
    process, listening, log = start_bot(env)
    try:
        assert listening.wait(STARTUP_SECONDS), "".join(log[-20:])
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def eventually(check: Callable[[], Any], seconds: float = 30) -> Any:
    """Real processes: poll until `check()` is truthy or the deadline passes."""
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return result


def test_a_bot_killed_between_slacks_answer_and_the_commit_posts_one_card(database_url: str) -> None:
    engine = create_engine(db.normalize_url(database_url))
    sessions = db.make_session_factory(engine)

    def card() -> SlackCard | None:
        with sessions() as session:
            return session.scalar(select(SlackCard))

    with SlackStandIn() as slack:
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "PORT"))},
            "SLACK_BOT_TOKEN": "xoxb-crash",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database_url,
            "FLAGPOST_ORG": str(ORG_FILE),
            "PORT": str(port),
        }
        posted = slack.hold_next("chat.postMessage")
        with running_bot(env) as bot:
            body, content_type = payloads.slash_command(
                "/flag",
                "https://www.facebook.com/town/posts/7 is this true?",
                EMPLOYEE,
                response_url=slack.response_url("cmd"),
            )
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/slack/events",
                data=body.encode(),
                headers={"Content-Type": content_type, **signed_headers(SECRET, body)},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert b"F-1" in response.read()
            assert posted.wait(30), "the card was never posted"
            os.kill(bot.pid, signal.SIGKILL)  # Slack has the card; the bot never hears back, never commits
            bot.wait(timeout=30)
        slack.release()
        [message] = slack.channel_messages(MODERATION)
        row = card()
        assert row is not None and row.ts is None and row.leased_until is not None

        with sessions() as session:  # a minute passes: the dead process's lease runs out
            session.execute(update(SlackCard).values(leased_until=row.leased_until - timedelta(minutes=2)))
            session.commit()
        refreshed = slack.hold_next("chat.update")
        with running_bot(env):
            assert refreshed.wait(60), "the restarted bot never showed the card"
            slack.release()
            eventually(lambda: (row := card()) is not None and row.ts == message["ts"] and row.due_at is None)
        assert [m["ts"] for m in slack.channel_messages(MODERATION)] == [message["ts"]]  # exactly one card
        assert len(slack.of("conversations.history")) == 1
        assert [call["ts"] for call in slack.of("chat.update")] == [message["ts"]]
        with sessions() as session:
            assert len(session.scalars(select(FlagReport)).all()) == 1
    engine.dispose()


def test_a_held_call_is_done_and_survives_its_caller_being_killed() -> None:
    """The hold works the way the test above relies on: a call held is recorded, and a killed caller's
    connection does not break the stand-in."""
    with SlackStandIn() as slack:
        held = slack.hold_next("chat.postMessage")
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys, urllib.request; urllib.request.urlopen(urllib.request.Request("
                f"'{slack.api_url}chat.postMessage', data=b'channel=C1&text=hi'), timeout=60)",
            ]
        )
        assert held.wait(30)
        child.kill()
        child.wait(timeout=30)
        slack.release()
        assert [m["text"] for m in slack.channel_messages("C1")] == ["hi"]
        assert slack.attempts("auth.test") == []
