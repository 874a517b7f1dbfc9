"""The clock that asks "what is due?". All timed work lives in the database (`due_at` columns); APScheduler
only wakes `run_due_work` every few seconds, so a restart loses nothing and replicas share the work."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot import due
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
    return rt.run_jobs(limit=limit)


def _run_one(rt: Runtime, handlers: dict[str, Callable[..., None]], job_id: int, lease: datetime) -> bool:
    return rt.run_job(handlers, job_id, lease)


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
