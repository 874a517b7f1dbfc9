"""The shared parts every domain builds on: a throwaway domain added with one list entry, item references,
the Block Kit builder's limits, timed work claimed once (two workers on PostgreSQL racing for 500 rows),
stale references refused, and tables that stop growing."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlalchemy import func, select

from bot import due
from bot.app import build_app
from bot.audit import AuditEvent
from bot.clock import FrozenClock
from bot.config import Organization
from bot.delivery import OutboxMessage
from bot.domain import Domain
from bot.domains import DOMAINS
from bot.errors import NotFound
from bot.events import ProcessedEvent
from bot.flags.ids import FlagIds
from bot.housekeeping import PRUNE
from bot.refs import Ref, block_id, decode, from_block_id
from bot.runtime import Runtime, build_runtime
from bot.scheduler import run_due_work, run_timed_jobs
from bot.server import make_http_server
from bot.slack import blocks as bk
from bot.slack.testkit.standin import SlackStandIn
from tests.conftest import EMPLOYEE, EMPLOYEE_2, MODERATOR, MODERATOR_2, make_settings
from tests.harness import BotClient
from tests.throwaway import handlers as throwaway
from tests.throwaway import service as reminders

# ----- a domain is its own files plus one line


@pytest.fixture
def reminders_bot(
    database_url: str, slack: SlackStandIn, clock: FrozenClock, org: Organization
) -> Iterator[BotClient]:
    slack.reset()
    domains = (*DOMAINS, throwaway.DOMAIN)  # the one line
    rt = build_runtime(
        make_settings(database_url, slack),
        org,
        domains,
        clock=clock,
        retry_interval=FixedValueRetryIntervalCalculator(0),
    )
    client = BotClient(
        rt, build_app(rt), slack, make_http_server(rt, build_app(rt), "127.0.0.1", 0, threads=4)
    )
    yield client
    client.close()
    rt.engine.dispose()


def test_a_throwaway_domain_runs_from_its_own_files_and_one_line(reminders_bot: BotClient) -> None:
    bot = reminders_bot
    assert "confirm" in bot.command("/remind-me", "water the <!channel> plants", EMPLOYEE).text
    [question] = bot.slack.dms_to(EMPLOYEE)
    assert "&lt;!channel&gt;" in question.all_text() and "<!channel>" not in question.all_text()

    bot.press(reminders.CONFIRM, EMPLOYEE_2, question)  # not theirs
    assert "Only the person who asked" in bot.slack.responses[-1]["text"]
    bot.press(reminders.CONFIRM, EMPLOYEE, question)
    bot.press(reminders.CONFIRM, EMPLOYEE, question)  # a second click schedules nothing more
    assert "already confirmed" in bot.slack.responses[-1]["text"]

    bot.tick(minutes=29)
    assert len(bot.slack.dms_to(EMPLOYEE)) == 1
    bot.tick(minutes=1)
    bot.tick(minutes=1)
    assert [dm["text"] for dm in bot.slack.dms_to(EMPLOYEE)[1:]] == [
        "Reminder: water the &lt;!channel&gt; plants"
    ]
    job = bot.query(lambda s: s.scalar(select(due.TimedJob).where(due.TimedJob.kind == reminders.SEND)))
    assert (job.outcome, job.due_at, job.attempts) == ("done", None, 0)


# ----- item references


def test_a_ref_encodes_kind_id_step_and_version_and_decodes_back() -> None:
    ref = Ref("request", 5, version=4, step=2)
    assert ref.encode() == "request-5-s2-v4"
    assert decode("request-5-s2-v4", "request") == ref
    assert decode("flag-12") == Ref("flag", 12)
    assert from_block_id(block_id("flag_edit", Ref("flag", 3, 7)), "flag") == Ref("flag", 3, 7)


@pytest.mark.parametrize(
    "forged",
    [
        "",
        "12",
        "flag-",
        "flag-0",
        "flag-2147483648",
        "flag-1-v",
        "flag-1-v1-s2",
        "flag-１",
        "flag-1\n",
        None,
        7,
    ],
)
def test_a_forged_or_foreign_ref_is_not_found(forged: object) -> None:
    with pytest.raises(NotFound, match="no longer points at anything"):
        decode(forged, "flag")
    with pytest.raises(NotFound):
        decode("request-1-v1", "flag")


def test_a_stale_card_is_refused_in_plain_words_and_nothing_changes(bot: BotClient) -> None:
    post = "https://www.facebook.com/prairiecrossing/posts/77"
    bot.command("/flag", f"{post} when does the rink open?", EMPLOYEE)
    [first_card] = bot.slack.messages_to("C0MODERATE")
    bot.command("/flag", f"{post} me too", EMPLOYEE_2)  # the flag changes: version 2
    bot.press(FlagIds.CLAIM, MODERATOR, first_card)
    assert "changed after this card was drawn" in bot.slack.responses[-1]["text"]
    assert (
        bot.query(
            lambda s: s.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "claimed")
            )
        )
        == 0
    )
    bot.press(FlagIds.CLAIM, MODERATOR)  # the card as it is now
    bot.press(FlagIds.CLAIM, MODERATOR_2, first_card)  # stale and already claimed: the more useful refusal
    assert f"already claimed by <@{MODERATOR}>" in bot.slack.responses[-1]["text"]


def test_every_action_and_callback_id_is_unique_across_domains() -> None:
    """Each domain's ids.py holds one StrEnum; block ids and the shared input action id may repeat."""
    import importlib
    import pkgutil
    from enum import StrEnum

    import bot

    seen: list[str] = []
    for module in pkgutil.iter_modules(bot.__path__):
        if module.ispkg and importlib.util.find_spec(f"bot.{module.name}.ids"):
            ids = importlib.import_module(f"bot.{module.name}.ids")
            for enum in vars(ids).values():
                if isinstance(enum, type) and issubclass(enum, StrEnum) and enum is not StrEnum:
                    seen += [m.value for m in enum if not m.name.endswith(("BLOCK", "INPUT"))]
    assert len(seen) > 10
    assert [value for value, count in Counter(seen).items() if count > 1] == []


# ----- the Block Kit builder keeps Slack's limits after escaping


@pytest.mark.parametrize(
    "text", ["&amp;" * 900, "<@U0CAO0001> " * 400, "a" * 5000, "&lt;" + "b" * 2994 + "&gt;&gt;"]
)
def test_section_text_is_clipped_without_breaking_an_entity_or_token(text: str) -> None:
    clipped = bk.section(text)["text"]["text"]
    assert len(clipped) <= 3000 and clipped.endswith("…")
    body = clipped[:-1]
    assert not body.endswith(("&", "&a", "&am", "&l", "&lt", "&g", "&gt")) and body.count("<") == body.count(
        ">"
    )


def test_messages_and_views_keep_to_their_block_counts() -> None:
    many = [bk.section(str(i)) for i in range(130)]
    assert (
        len(bk.message_blocks(many)) == 50 and "81 more" in bk.message_blocks(many)[-1]["elements"][0]["text"]
    )
    assert len(bk.home(many)["blocks"]) == 100
    assert len(bk.modal("A title longer than twenty-four", [])["title"]["text"]) <= 24
    assert len(bk.button("x" * 200, "a")["text"]["text"]) <= 75
    with pytest.raises(ValueError):
        bk.button("ok", "a", value="x" * 2001)


# ----- timed work, once


def _count_job(*, session: Any, now: Any, job: due.Job, **_context: Any) -> None:
    session.add(
        AuditEvent(at=now, actor="test", action="counted", item_type="test", item_id=job.id, details={})
    )


def _fail_job(**_kwargs: Any) -> None:
    raise RuntimeError("the handler failed")


COUNTING = Domain(name="counting", timed={"test.count": _count_job, "test.fail": _fail_job})


def _runtime(runtime: Runtime, domains: tuple[Domain, ...]) -> Runtime:
    return build_runtime(runtime.settings, runtime.org, domains, clock=runtime.clock)


def test_schedule_with_a_key_is_idempotent_and_cancel_stops_a_job(runtime: Runtime) -> None:
    rt = _runtime(runtime, (COUNTING,))

    def add(*, session: Any, now: Any) -> list[Any]:
        return [
            due.schedule(
                session, kind="test.count", due_at=now, now=now, key="once", item_type="x", item_id=1
            ),
            due.schedule(
                session, kind="test.count", due_at=now, now=now, key="once", item_type="x", item_id=1
            ),
            due.schedule(session, kind="test.count", due_at=now, now=now, item_type="x", item_id=2),
        ]

    first, second, other = rt.run(add)
    assert first is not None and second is None and other is not None
    assert rt.run(lambda session, now: due.cancel(session, now=now, item_type="x", item_id=2)) == 1
    assert run_timed_jobs(rt) == 1
    assert run_timed_jobs(rt) == 0
    with rt.sessions() as session:
        outcomes = dict(session.execute(select(due.TimedJob.item_id, due.TimedJob.outcome)).all())
    assert outcomes == {1: "done", 2: "cancelled"}
    rt.engine.dispose()


def test_a_failing_job_is_retried_with_backoff_then_given_up(runtime: Runtime) -> None:
    rt = _runtime(runtime, (COUNTING,))
    clock: FrozenClock = rt.clock  # type: ignore[assignment]
    rt.run(lambda session, now: due.schedule(session, kind="test.fail", due_at=now, now=now))
    for _ in range(due.GIVE_UP_AFTER):
        assert run_timed_jobs(rt) == 0
        clock.advance(hours=1)
    with rt.sessions() as session:
        job = session.scalar(select(due.TimedJob))
    assert (job.outcome, job.due_at, job.attempts) == ("gave_up", None, due.GIVE_UP_AFTER)
    assert "the handler failed" in job.last_error
    rt.engine.dispose()


def test_four_workers_on_one_database_do_500_due_jobs_exactly_once(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("replicas share a PostgreSQL database; SQLite serves one process")
    workers = [_runtime(runtime, (COUNTING,)) for _ in range(4)]

    def add(*, session: Any, now: Any) -> None:
        for i in range(500):
            due.schedule(session, kind="test.count", due_at=now - timedelta(seconds=i % 7), now=now)

    workers[0].run(add)
    barrier = threading.Barrier(len(workers))
    done = [0] * len(workers)

    def work(index: int) -> None:
        barrier.wait()
        while (count := run_timed_jobs(workers[index], limit=5)) > 0:  # small batches: many racing claims
            done[index] += count

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with runtime.sessions() as session:
        counted = Counter(session.scalars(select(AuditEvent.item_id).where(AuditEvent.action == "counted")))
        pending = session.scalar(
            select(func.count()).select_from(due.TimedJob).where(due.TimedJob.done_at.is_(None))
        )
    assert sum(done) == 500 and sum(1 for count in done if count) >= 2, done  # the work was shared
    assert len(counted) == 500 and set(counted.values()) == {1}
    assert pending == 0
    for worker in workers:
        worker.engine.dispose()


def test_two_deliveries_on_one_database_post_500_messages_exactly_once(
    runtime: Runtime, slack: SlackStandIn
) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("replicas share a PostgreSQL database; SQLite serves one process")
    workers = [_runtime(runtime, ()) for _ in range(2)]

    def add(*, session: Any, now: Any) -> None:
        for i in range(500):
            session.add(
                OutboxMessage(
                    kind="channel", channel="C0RACE", text=f"m{i}", created_at=now, due_at=now, attempts=0
                )
            )

    workers[0].run(add)
    threads = [
        threading.Thread(target=worker.delivery.deliver_due, kwargs={"limit": 500}) for worker in workers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    texts = Counter(call["text"] for call in slack.messages_to("C0RACE"))
    assert len(texts) == 500 and set(texts.values()) == {1}
    for worker in workers:
        worker.engine.dispose()


# ----- tables that stop growing


def test_old_event_ids_and_sent_messages_are_pruned_daily(bot: BotClient) -> None:
    rt, clock = bot.rt, bot.rt.clock
    bot.command("/flag", "https://www.facebook.com/town/posts/5 our account was hacked", EMPLOYEE)
    bot.event({"type": "app_home_opened", "user": EMPLOYEE, "tab": "home"}, event_id="Ev0OLD")
    bot.tick()
    assert (
        bot.query(
            lambda s: s.scalar(
                select(func.count()).select_from(due.TimedJob).where(due.TimedJob.kind == PRUNE)
            )
        )
        == 1
    )
    clock.advance(days=8)  # type: ignore[attr-defined]
    bot.event({"type": "app_home_opened", "user": EMPLOYEE, "tab": "home"}, event_id="Ev0NEW")
    run_due_work(rt)
    assert bot.query(lambda s: set(s.scalars(select(ProcessedEvent.event_id)))) == {"Ev0NEW"}
    sent = bot.query(lambda s: s.scalar(select(func.count()).select_from(OutboxMessage)))
    clock.advance(days=30)  # type: ignore[attr-defined]
    bot.tick()
    assert sent > 0 and bot.query(lambda s: s.scalar(select(func.count()).select_from(OutboxMessage))) == 0
    assert bot.query(lambda s: s.scalar(select(func.count()).select_from(AuditEvent))) > 0  # never pruned
