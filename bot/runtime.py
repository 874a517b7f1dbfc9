"""Everything a running Flagpost holds: settings, organisation, calendar, clock, database, Slack door,
delivery, and the list of domains it runs.

Handlers reach services through `Runtime.run`, which gives the service its own session, commits, and then
delivers what the service queued for Slack and starts the jobs it started (`due.start_after_commit`), after
a moment when no request is being answered (`RequestsInFlight`). Handlers never open a session themselves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import db, due
from bot.calendar import BusinessCalendar
from bot.clock import Clock, SystemClock
from bot.config import Organization, Settings
from bot.delivery import Delivery, take_pending
from bot.domain import Domain, card_renderers, timed_handlers
from bot.slack.door import SlackDoor, build_web_client

log = logging.getLogger(__name__)
T = TypeVar("T")


class TrackedExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, able to say when all submitted work has finished (tests, shutdown)."""

    def __init__(self, max_workers: int, name: str):
        super().__init__(max_workers=max_workers, thread_name_prefix=name)
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any]) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)


class WriteLock:
    """SQLite's one writer, taken in turn by this process's threads. `first()` goes ahead of the threads
    already waiting: for the few statements a request runs before its answer (the replay key), so an answer
    never queues behind the work other requests do after theirs."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._held = False
        self._urgent = 0
        self.queued = 0  # threads waiting in turn (the tests look)

    def __enter__(self) -> None:
        with self._turn:
            self.queued += 1
            self._turn.wait_for(lambda: not self._held and not self._urgent)
            self.queued -= 1
            self._held = True

    def __exit__(self, *_: object) -> None:
        with self._turn:
            self._held = False
            self._turn.notify_all()

    @contextmanager
    def first(self) -> Iterator[None]:
        with self._turn:
            self._urgent += 1
            self._turn.wait_for(lambda: not self._held)
            self._urgent -= 1
            self._held = True
        try:
            yield
        finally:
            self.__exit__()


class NoWriteLock(nullcontext[None]):
    """PostgreSQL takes concurrent writers itself."""

    def first(self) -> nullcontext[None]:
        return nullcontext()


class RequestsInFlight:
    """The requests being answered right now. Work after the answer (a job just started, a card to post)
    waits for a moment with none, at most PATIENCE seconds, before it starts: in a storm the answers, which
    Slack needs within 3 seconds, go first, and the cards follow a little behind. Nothing waits forever, and
    what waits is already committed."""

    PATIENCE = 0.5

    def __init__(self, patience: float = PATIENCE) -> None:
        self.patience = patience
        self._count = 0
        self._quiet = threading.Condition()

    @contextmanager
    def answering(self) -> Iterator[None]:
        with self._quiet:
            self._count += 1
        try:
            yield
        finally:
            with self._quiet:
                self._count -= 1
                if self._count == 0:
                    self._quiet.notify_all()

    def wait_quiet(self) -> None:
        with self._quiet:
            self._quiet.wait_for(lambda: self._count == 0, timeout=self.patience)


@dataclass
class Runtime:
    settings: Settings
    org: Organization
    engine: Engine
    sessions: sessionmaker[Session]
    door: SlackDoor
    clock: Clock
    calendar: BusinessCalendar
    delivery: Delivery
    executor: TrackedExecutor  # Bolt's listeners
    delivery_pool: TrackedExecutor  # posts to Slack after commit, so no listener's ack waits behind them
    domains: tuple[Domain, ...]
    # What a domain keeps for the life of the process (the policy index…), under its own name.
    state: dict[str, Any] = field(default_factory=dict)
    # SQLite has one writer at a time and makes the others sleep and retry, which starves some of them
    # for seconds under load; queueing the writers of this process on a lock keeps every ack fast.
    write_lock: WriteLock | NoWriteLock = field(default_factory=NoWriteLock)
    in_flight: RequestsInFlight = field(default_factory=RequestsInFlight)

    def run(self, service: Callable[..., T], /, **kwargs: Any) -> T:
        """Call `service(session=…, now=…, **kwargs)` in one transaction; once it is committed, deliver
        what it queued for Slack in the background. Anything that fails stays due for the scheduler."""
        with self.write_lock:
            session = self.sessions()
            try:
                result = service(session=session, now=self.clock.now(), **kwargs)
                session.commit()
                cards, messages = take_pending(session)
                jobs = due.take_started(session)
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
        if cards or messages:
            self.delivery_pool.submit(self.delivery.deliver, cards, messages)
        if jobs:
            self.delivery_pool.submit(self.start_jobs, jobs)
        return result

    def run_jobs(self, limit: int = due.BATCH) -> int:
        """Claim the due timed jobs and do each in its own transaction (the scheduler's tick). Returns how
        many were done."""
        handlers = timed_handlers(self.domains)
        with self.write_lock, self.sessions() as session:
            claimed = due.claim_due(session, due.TimedJob, self.clock.now(), limit=limit)
        return sum(self.run_job(handlers, job_id, lease) for job_id, lease in claimed)

    def start_jobs(self, ids: list[int]) -> int:
        """Do the jobs a transaction just started (`due.start_after_commit`), each taken and done in one
        transaction of its own: one commit, where a claim then the work would take two. One that fails, or
        that a replica's tick holds, stays due for the scheduler (which counts attempts and backs off)."""
        handlers = timed_handlers(self.domains)
        done = 0
        self.in_flight.wait_quiet()
        for job_id in ids:
            try:
                done += self.run(
                    _do_started_job, job_id=job_id, handlers=handlers, org=self.org, calendar=self.calendar
                )
            except Exception:
                log.warning(
                    "timed job %s failed right after it was started; the scheduler retries it", job_id
                )
        return done

    def run_job(self, handlers: dict[str, Callable[..., None]], job_id: int, lease: datetime) -> bool:
        """One claimed job, in its own transaction; a failure is retried later with backoff."""
        try:
            return bool(
                self.run(
                    _do_job,
                    job_id=job_id,
                    lease=lease,
                    handlers=handlers,
                    org=self.org,
                    calendar=self.calendar,
                )
            )
        except due.ClaimLost:
            return False  # cancelled, or taken over after the lease ran out: the other claim does it
        except Exception as exc:
            log.exception("timed job %s failed; it will be tried again", job_id)
            self.run(_job_failed, job_id=job_id, lease=lease, error=f"{type(exc).__name__}: {exc}")
            return False

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once every listener and every delivery started so far has finished."""
        return self.executor.wait_idle(timeout) and self.delivery_pool.wait_idle(timeout)

    def read(self, query: Callable[..., T], /, **kwargs: Any) -> T:
        """Call a read-only service with its own session."""
        with self.sessions() as session:
            return query(session=session, **kwargs)


def _do_job(
    *,
    session: Session,
    now: datetime,
    job_id: int,
    lease: datetime,
    handlers: dict[str, Callable[..., None]],
    **context: Any,
) -> bool:
    row = due.take_claimed(session, due.TimedJob, job_id, lease)
    if row is None:
        return False
    job = due.job_view(row)
    handler = handlers.get(job.kind)
    if handler is None:
        log.error("timed job %s has kind %r, which no domain handles; giving up on it", job.id, job.kind)
        due.complete_job(session, job.id, lease, now, outcome="gave_up")
        return False
    handler(session=session, now=now, job=job, **context)
    due.complete_job(session, job.id, lease, now)
    return True


def _do_started_job(
    *, session: Session, now: datetime, job_id: int, handlers: dict[str, Callable[..., None]], **context: Any
) -> bool:
    row = due.take_due(session, due.TimedJob, job_id, now)
    handler = handlers.get(row.kind) if row is not None else None
    if row is None or handler is None:  # done, held by a tick, or unknown: the scheduler's path decides
        return False
    handler(session=session, now=now, job=due.job_view(row), **context)
    row.due_at, row.done_at, row.outcome, row.last_error = None, now, "done", None
    return True


def _job_failed(*, session: Session, now: datetime, job_id: int, lease: datetime, error: str) -> None:
    attempts = due.retry_later(session, due.TimedJob, job_id, lease, now, error)
    if attempts >= due.GIVE_UP_AFTER:
        row = session.get(due.TimedJob, job_id)
        assert row is not None
        row.due_at, row.done_at, row.outcome = None, now, "gave_up"
        log.error("timed job %s failed %s times; gave up: %s", job_id, attempts, error)


def build_runtime(
    settings: Settings,
    org: Organization,
    domains: tuple[Domain, ...],
    *,
    clock: Clock | None = None,
    retry_interval: RetryIntervalCalculator | None = None,
    engine: Engine | None = None,
) -> Runtime:
    engine = engine or db.make_engine(settings.database_url)
    sessions = db.make_session_factory(engine)
    clock = clock or SystemClock()
    door = SlackDoor(build_web_client(settings.bot_token, settings.slack_api_url, retry_interval))
    write_lock: WriteLock | NoWriteLock = WriteLock() if engine.dialect.name == "sqlite" else NoWriteLock()
    in_flight = RequestsInFlight()
    return Runtime(
        settings=settings,
        org=org,
        engine=engine,
        sessions=sessions,
        door=door,
        clock=clock,
        calendar=BusinessCalendar.for_organization(org),
        delivery=Delivery(sessions, door, clock, card_renderers(domains), write_lock, in_flight.wait_quiet),
        executor=TrackedExecutor(max_workers=16, name="listener"),
        delivery_pool=TrackedExecutor(max_workers=4, name="delivery"),
        write_lock=write_lock,
        in_flight=in_flight,
        domains=domains,
    )
