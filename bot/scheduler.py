"""The clock that asks "what is due?". All timed work lives in the database (`due_at` columns); APScheduler
only wakes `run_due_work` every few seconds, so a restart loses nothing and replicas share the work."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from bot import due
from bot.domain import timed_handlers
from bot.runtime import Runtime

log = logging.getLogger(__name__)

DUE_WORK_INTERVAL_SECONDS = 15


def run_due_work(rt: Runtime) -> None:
    """One tick: every domain's ticks, the due timed jobs, then the due Slack deliveries. One failing piece
    of work never stops the others."""
    for domain in rt.domains:
        for tick in domain.ticks:
            _safely(f"{domain.name}.{tick.name}", tick.run, rt)
    _safely("timed-jobs", run_timed_jobs, rt)
    _safely("deliver-due-slack-messages", lambda rt: rt.delivery.deliver_due(), rt)


def _safely(name: str, work: Callable[[Runtime], object], rt: Runtime) -> None:
    try:
        work(rt)
    except Exception:  # one failing job must not stop the others or the scheduler
        log.exception("scheduled work %s failed", name)


def run_timed_jobs(rt: Runtime, limit: int = due.BATCH) -> int:
    """Claim a batch of due timed jobs and do each in its own transaction. Returns how many were done."""
    handlers = timed_handlers(rt.domains)
    with rt.write_lock, rt.sessions() as session:
        claimed = due.claim_due(session, due.TimedJob, rt.clock.now(), limit=limit)
    return sum(_run_one(rt, handlers, job_id, lease) for job_id, lease in claimed)


def _run_one(rt: Runtime, handlers: dict[str, Callable[..., None]], job_id: int, lease: datetime) -> bool:
    try:
        return bool(
            rt.run(_do_job, job_id=job_id, lease=lease, handlers=handlers, org=rt.org, calendar=rt.calendar)
        )
    except due.ClaimLost:
        return False  # cancelled, or taken over after the lease ran out: the other claim does it
    except Exception as exc:
        log.exception("timed job %s failed; it will be tried again", job_id)
        rt.run(_job_failed, job_id=job_id, lease=lease, error=f"{type(exc).__name__}: {exc}")
        return False


def _do_job(
    *,
    session: Any,
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


def _job_failed(*, session: Any, now: datetime, job_id: int, lease: datetime, error: str) -> None:
    attempts = due.retry_later(session, due.TimedJob, job_id, lease, now, error)
    if attempts >= due.GIVE_UP_AFTER:
        row = session.get(due.TimedJob, job_id)
        row.due_at, row.done_at, row.outcome = None, now, "gave_up"
        log.error("timed job %s failed %s times; gave up: %s", job_id, attempts, error)


def start_scheduler(rt: Runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        run_due_work,
        "interval",
        seconds=DUE_WORK_INTERVAL_SECONDS,
        args=[rt],
        id="due-work",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),  # at once: after a restart, what was pending goes out now
    )
    scheduler.start()
    return scheduler
