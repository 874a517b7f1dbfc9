"""A restart loses nothing and two Flagposts on one PostgreSQL send each page, escalation and review once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot import due
from bot.clock import FrozenClock
from bot.config import Organization
from bot.scheduler import run_due_work
from bot.slack.testkit.standin import SlackStandIn
from tests.conftest import CAO, COMMS, EMPLOYEE, MODERATOR
from tests.harness import BotClient
from tests.oncall_helpers import HACKED, MODERATION, at, audit_of, local, pages_to, start_bot

SUNDAY_0345 = local(2026, 11, 22, 3, 45)


@pytest.fixture
def second(
    database_url: str, slack: SlackStandIn, clock: FrozenClock, org: Organization
) -> Iterator[BotClient]:
    """Another Flagpost on the same database and the same Slack (a restarted process, or a replica)."""
    client = start_bot(database_url, slack, clock, org)
    yield client
    client.close()
    client.rt.engine.dispose()


def file_after_hours(bot: BotClient) -> None:
    at(bot, SUNDAY_0345)
    bot.command("/flag", HACKED, EMPLOYEE)
    bot.tick()
    assert len(pages_to(bot.slack, COMMS)) == 1


def test_an_escalation_due_while_the_bot_was_down_fires_once_when_it_is_back(
    bot: BotClient, second: BotClient
) -> None:
    file_after_hours(bot)
    bot.rt.engine.dispose()  # the first process is gone; from here on only `second` runs
    second.tick(hours=2)  # the escalation fell due at 04:00; the bot comes back at 05:45
    assert len(pages_to(second.slack, MODERATOR)) == 1
    assert pages_to(second.slack, CAO) == []  # one step, not a burst of every missed step
    second.tick(minutes=14)
    assert pages_to(second.slack, CAO) == []
    second.tick(minutes=1)
    assert len(pages_to(second.slack, CAO)) == 1


def test_a_job_taken_by_a_process_that_died_is_done_once_after_its_lease(
    bot: BotClient, second: BotClient
) -> None:
    file_after_hours(bot)
    at(bot, SUNDAY_0345 + timedelta(minutes=15))
    with bot.rt.sessions() as session:  # the first process claims the escalation, then dies before doing it
        assert len(due.claim_due(session, due.TimedJob, bot.rt.clock.now())) == 1
    bot.rt.engine.dispose()
    second.tick(seconds=30)
    assert pages_to(second.slack, MODERATOR) == []  # still leased to the dead process
    second.tick(seconds=31)
    second.tick(seconds=15)
    assert len(pages_to(second.slack, MODERATOR)) == 1


def test_two_workers_racing_for_the_same_due_rows_send_everything_once(
    bot: BotClient, second: BotClient, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share one PostgreSQL; SQLite is for a single process")
    file_after_hours(bot)

    def both_tick(minutes: float) -> None:
        bot.rt.clock.advance(minutes=minutes)  # type: ignore[attr-defined]
        barrier = threading.Barrier(2)

        def work(client: BotClient) -> None:
            barrier.wait()
            run_due_work(client.rt)

        threads = [threading.Thread(target=work, args=(client,)) for client in (bot, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        bot.wait()
        second.wait()

    for _ in range(5):
        both_tick(minutes=15)
    assert [len(pages_to(bot.slack, user)) for user in (COMMS, MODERATOR, CAO)] == [1, 1, 1]
    assert [action for action, _ in audit_of(bot, "page")] == [
        "paged",
        "escalated",
        "escalated",
        "unanswered",
    ]
    at(bot, local(2026, 11, 23, 8, 29))  # Monday: the daily review falls due at 08:30, on both replicas
    both_tick(minutes=0)
    both_tick(minutes=1)
    both_tick(minutes=1)
    reviews = [call for call in bot.slack.messages_to(MODERATION) if "Daily review" in call["text"]]
    assert len(reviews) == 1
