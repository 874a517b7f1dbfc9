"""Tables that stop growing: processed event ids, delivered messages and finished timed jobs are deleted
after a retention period, by a daily timed job. The audit trail is never pruned here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import due
from bot.delivery import OutboxMessage
from bot.domain import Domain, Tick
from bot.events import ProcessedEvent

PROCESSED_EVENTS_KEPT = timedelta(days=7)  # Slack re-delivers for minutes, never days
SENT_MESSAGES_KEPT = timedelta(days=30)
FINISHED_JOBS_KEPT = timedelta(days=30)
BATCH = 5000
PRUNE = "housekeeping.prune"


def _delete_in_batches(session: Session, model: type[Any], key: Any, *conditions: Any) -> int:
    """Delete in batches so no single statement holds a long lock on a busy table."""
    total = 0
    while True:
        ids = select(key).where(*conditions).limit(BATCH).scalar_subquery()
        deleted = session.execute(
            delete(model).where(key.in_(ids)).execution_options(synchronize_session=False)
        )
        count = int(deleted.rowcount)  # type: ignore[attr-defined]
        total += count
        if count < BATCH:
            return total


def prune(*, session: Session, now: datetime, job: due.Job, **_context: Any) -> dict[str, int]:
    return {
        "processed_events": _delete_in_batches(
            session,
            ProcessedEvent,
            ProcessedEvent.event_id,
            ProcessedEvent.received_at < now - PROCESSED_EVENTS_KEPT,
        ),
        "outbox_messages": _delete_in_batches(
            session,
            OutboxMessage,
            OutboxMessage.id,
            OutboxMessage.due_at.is_(None),
            OutboxMessage.created_at < now - SENT_MESSAGES_KEPT,
        ),
        "timed_jobs": _delete_in_batches(
            session,
            due.TimedJob,
            due.TimedJob.id,
            due.TimedJob.done_at.is_not(None),
            due.TimedJob.done_at < now - FINISHED_JOBS_KEPT,
            due.TimedJob.id != job.id,
        ),
    }


def schedule_daily_prune(*, session: Session, now: datetime) -> None:
    """Once a day, on whichever replica asks first (the key makes the second ask a no-op)."""
    due.schedule(session, kind=PRUNE, due_at=now, now=now, key=f"{PRUNE}:{now.date().isoformat()}")


DOMAIN = Domain(
    name="housekeeping",
    timed={PRUNE: prune},
    ticks=(Tick("schedule-pruning", lambda rt: rt.run(schedule_daily_prune)),),
)
