"""The clock that asks "what is due?". All scheduled work lives in the database (`due_at` columns);
APScheduler only wakes the due-work functions, so a restart loses nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from bot.runtime import Runtime

log = logging.getLogger(__name__)

DUE_WORK_INTERVAL_SECONDS = 15


def due_work(rt: Runtime) -> list[tuple[str, Callable[[], object]]]:
    """Every periodic job, by name. Each is safe to run on several replicas at once."""
    return [
        ("deliver-due-slack-messages", rt.delivery.deliver_due),
        ("refresh-policy-index", rt.policy.refresh_if_changed),
    ]


def run_due_work(rt: Runtime) -> None:
    for name, job in due_work(rt):
        try:
            job()
        except Exception:  # one failing job must not stop the others or the scheduler
            log.exception("scheduled job %s failed", name)


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
    )
    scheduler.start()
    return scheduler
