"""Two real `flagpost run` processes on one PostgreSQL, behind a "load balancer" that splits Slack's requests
between them (issue 13, item 4): a /flag storm makes one card per post and loses no answer; a claim race has
one winner; an event re-delivered to the other process is processed once; due work is done once; killing one
mid-storm loses nothing that was acknowledged.

The processes run in HTTP mode against the stand-in, started together (so they also migrate together). They
are real processes with real clocks: the test polls what reached Slack, with a deadline, instead of sleeping.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, update

from bot import db
from bot.audit import AuditEvent
from bot.delivery import SlackCard
from bot.due import LEASE, TimedJob
from bot.flags.ids import FlagIds
from bot.flags.models import Flag, FlagReport
from bot.policy.models import PolicyQuestion
from bot.slack.testkit import payloads
from bot.slack.testkit.signing import signed_headers
from bot.slack.testkit.standin import SlackStandIn
from tests.commands import start_bot
from tests.conftest import DIRECTOR, MODERATOR, MODERATOR_2, ORG_FILE, reset_pg_schema
from tests.test_front_door_crash import SECRET, STARTUP_SECONDS, eventually, free_port

MODERATION = "C0MODERATE"
POSTS = 12
REPORTS_PER_POST = 4  # 48 /flag in the storm, from 12 senders
# "False claim" makes each flag misinformation: the directors hear of it once per flag, which is due work.
NOTE = "this article repeats the false claim that the town sold the arena"


class Replica:
    """One `flagpost run` and a way to send it signed requests, as the load balancer would."""

    def __init__(self, process: Any, port: int) -> None:
        self.process, self.port = process, port

    def send(self, body: str, content_type: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request(
                "POST",
                "/slack/events",
                body=body.encode(),
                headers={"Content-Type": content_type, **signed_headers(SECRET, body), **(headers or {})},
            )
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()


@pytest.fixture
def cluster(pg_url: str) -> Iterator[tuple[list[Replica], SlackStandIn, Any]]:
    url = reset_pg_schema(pg_url, "flagpost_replicas")
    engine = create_engine(db.normalize_url(url))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "PORT"))}
    with SlackStandIn() as slack:
        ports = [free_port(), free_port()]
        env = {
            **base,
            "SLACK_BOT_TOKEN": "xoxb-replica",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": url,
            "FLAGPOST_ORG": str(ORG_FILE),
        }
        # Both start at once, on an empty database: they migrate one at a time (bot/migrations/env.py).
        started = [start_bot({**env, "PORT": str(port)}) for port in ports]
        try:
            for _process, listening, log in started:
                assert listening.wait(STARTUP_SECONDS), "".join(log[-20:])
            replicas = [Replica(process, port) for (process, _, _), port in zip(started, ports, strict=True)]
            yield replicas, slack, db.make_session_factory(engine)
        finally:
            for process, _, _ in started:
                if process.poll() is None:
                    process.terminate()
                process.wait(timeout=30)
    engine.dispose()


def flag(replica: Replica, slack: SlackStandIn, post: int, reporter: str) -> tuple[int, str]:
    body, content_type = payloads.slash_command(
        "/flag",
        f"https://www.facebook.com/town/posts/{post} {NOTE}",
        reporter,
        response_url=slack.response_url("flag"),
    )
    return replica.send(body, content_type)


def storm(
    replicas: list[Replica],
    slack: SlackStandIn,
    kill_after: int | None = None,
    killed_at: list[datetime] | None = None,
) -> list[str]:
    """POSTS × REPORTS_PER_POST flags, alternating between the replicas, 12 at a time. With `kill_after`, the
    first replica is SIGKILLed once that many were answered, and the load balancer sends what it could not
    deliver there to the other. Returns the answers."""
    answers: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()

    def sender(index: int) -> None:
        for round_ in range(REPORTS_PER_POST):
            post = (index + round_ * 5) % POSTS
            target = replicas[(index + round_) % 2]
            reporter = f"U0EMP{index:02d}{round_:02d}"
            try:
                status, text = (
                    (0, "")
                    if target is replicas[0] and killed.is_set()
                    else flag(target, slack, post, reporter)
                )
            except (OSError, http.client.HTTPException):
                status, text = 0, ""
            if status != 200:  # refused or cut off: never acknowledged, so the load balancer tries the other
                status, text = flag(replicas[1], slack, post, reporter)
            assert status == 200, text
            with lock:
                answers.append(text)
                if kill_after is not None and len(answers) == kill_after and not killed.is_set():
                    os.kill(replicas[0].process.pid, signal.SIGKILL)
                    killed.set()
                    if killed_at is not None:
                        killed_at.append(datetime.now(UTC))

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(POSTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


def cards(slack: SlackStandIn) -> Counter[str]:
    """How many card messages the moderation channel shows for each flag."""
    return Counter(
        message["metadata"]["event_payload"]["item"]
        for message in slack.channel_messages(MODERATION)
        if "metadata" in message
    )


def all_shown(slack: SlackStandIn) -> bool:
    return len(cards(slack)) == POSTS


def test_a_storm_split_between_two_replicas_makes_one_card_per_post_and_each_due_job_runs_once(
    cluster: tuple[list[Replica], SlackStandIn, Any],
) -> None:
    replicas, slack, sessions = cluster
    answers = storm(replicas, slack)
    assert len(answers) == POSTS * REPORTS_PER_POST and all("F-" in answer for answer in answers)
    eventually(lambda: all_shown(slack), seconds=60)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(FlagReport)) == POSTS * REPORTS_PER_POST
        assert session.scalar(select(func.count()).select_from(Flag)) == POSTS
        eventually(lambda: _filed_audits(sessions) == POSTS, seconds=60)  # each flag's intake job once
    assert set(cards(slack).values()) == {1}
    eventually(lambda: len(slack.dms_to(DIRECTOR)) >= POSTS, seconds=60)
    told = Counter(re.findall(r"F-[0-9]+", call.all_text())[0] for call in slack.dms_to(DIRECTOR))
    assert len(told) == POSTS and set(told.values()) == {1}  # routing, done once per flag across both


def _filed_audits(sessions: Any) -> int:
    with sessions() as session:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "filed")
        return session.scalar(query) or 0


def test_a_claim_race_across_replicas_has_one_winner_and_a_redelivered_event_is_processed_once(
    cluster: tuple[list[Replica], SlackStandIn, Any],
) -> None:
    replicas, slack, sessions = cluster
    status, text = flag(replicas[0], slack, 1, "U0EMP0001")
    assert status == 200 and "F-1" in text
    eventually(lambda: cards(slack), seconds=60)
    [card] = [m for m in slack.channel_messages(MODERATION) if "metadata" in m]
    button = payloads.find_element(card["blocks"], FlagIds.CLAIM)
    barrier = threading.Barrier(2)
    results: list[tuple[int, str]] = []

    def click(replica: Replica, moderator: str) -> None:
        body, content_type = payloads.block_actions(
            button, moderator, message=card, response_url=slack.response_url(moderator)
        )
        barrier.wait()
        results.append(replica.send(body, content_type))

    threads = [
        threading.Thread(target=click, args=(replica, moderator))
        for replica, moderator in zip(replicas, (MODERATOR, MODERATOR_2), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [status for status, _ in results] == [200, 200]
    with sessions() as session:
        winner = eventually(lambda: session.scalar(select(Flag.assignee).where(Flag.id == 1)))
    loser = MODERATOR_2 if winner == MODERATOR else MODERATOR
    told = eventually(lambda: [c.all_text() for c in slack.responses if "already claimed" in c.all_text()])
    assert told == [f"F-1 is already claimed by <@{winner}>."]  # the other one is told who holds it
    claims = eventually(lambda: _audits(sessions, "claimed"), seconds=30)
    assert claims == [winner], f"{loser} must not have claimed it too"

    # Slack re-delivers an event it saw no answer to; this time the load balancer sends it to the other one.
    mention = payloads.app_mention("U0EMP0001", "can I reply to a resident's complaint?", "C0GENERAL")
    body, content_type = payloads.event(mention, event_id_="Ev0REPLICA1")
    assert replicas[0].send(body, content_type)[0] == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert replicas[1].send(body, content_type, retry)[0] == 200
    eventually(lambda: slack.messages_to("C0GENERAL"), seconds=30)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(PolicyQuestion)) == 1
    assert len(slack.messages_to("C0GENERAL")) == 1


def _audits(sessions: Any, action: str) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AuditEvent.actor).where(AuditEvent.action == action)))


def test_a_replica_killed_mid_storm_loses_nothing_it_acknowledged(
    cluster: tuple[list[Replica], SlackStandIn, Any],
) -> None:
    replicas, slack, sessions = cluster
    killed_at: list[datetime] = []
    answers = storm(replicas, slack, kill_after=POSTS, killed_at=killed_at)
    assert replicas[0].process.wait(timeout=30) == -signal.SIGKILL
    assert len(answers) == POSTS * REPORTS_PER_POST and all("F-" in answer for answer in answers)
    with sessions() as session:
        # Every acknowledged report is stored: the ack came after the commit.
        assert session.scalar(select(func.count()).select_from(FlagReport)) >= POSTS * REPORTS_PER_POST
        # What the dead one had claimed (a job, a card) is free once its lease runs out: as if a minute passed.
        # (Leases the survivor took after the kill end later than this, and are left alone: shortening one while its
        # post is on the way would let a second post go out before the first is in the channel's history.)
        dead_ones = killed_at[0] + LEASE
        for model in (TimedJob, SlackCard):
            session.execute(
                update(model)
                .where(model.leased_until.is_not(None), model.leased_until <= dead_ones)
                .values(leased_until=killed_at[0] - timedelta(minutes=2))
            )
        session.commit()
    eventually(lambda: all_shown(slack), seconds=60)  # the survivor's scheduler does the rest
    assert set(cards(slack).values()) == {1}
    eventually(lambda: _filed_audits(sessions) == POSTS, seconds=60)
