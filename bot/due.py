"""Timed work: rows with a `due_at`, claimed once whatever the number of threads, processes or replicas.

Every table of timed work (the outbox, the live cards, and `timed_jobs` for reminders, pages, escalations and
expiries) has the same four columns. `claim_due` takes a batch of what is due by setting a short lease in one
UPDATE: on PostgreSQL over `SELECT … FOR UPDATE SKIP LOCKED`, so replicas never wait on each other; on SQLite
the single writer makes the UPDATE atomic. Each claimed row is then done in its own transaction, and a row
whose work fails is retried later with backoff. A crash leaves the lease to run out, and the row is due again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db import Base, UTCDateTime

LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(hours=1)
BATCH = 200
GIVE_UP_AFTER = 12  # attempts; about four and a half hours of backoff for a timed job


class DueColumns:
    """The four columns every table of timed work shares."""

    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # None: nothing to do
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, … up to an hour between tries."""
    return min(timedelta(seconds=15 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim_due(
    session: Session,
    model: type[Any],
    now: datetime,
    *,
    ids: Sequence[int] | None = None,
    limit: int = BATCH,
    lease: timedelta = LEASE,
) -> list[tuple[int, datetime]]:
    """Lease up to `limit` due rows of `model` (only `ids`, when given), oldest first, and commit. Returns
    (id, lease) pairs: the lease is the claim's token, which `finish` and `retry_later` check."""
    until = now + lease
    free = [
        model.due_at.is_not(None),
        model.due_at <= now,
        or_(model.leased_until.is_(None), model.leased_until < now),
    ]
    candidates = select(model.id).where(*free).order_by(model.due_at, model.id).limit(limit)
    if ids is not None:
        candidates = candidates.where(model.id.in_(list(ids)))
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(model)
        .where(model.id.in_(candidates.scalar_subquery()), *free)
        .values(leased_until=until)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    rows = sorted(claimed)
    session.commit()
    return [(row_id, until) for row_id in rows]


def take_claimed(session: Session, model: type[Any], row_id: int, lease: datetime) -> Any | None:
    """The row, locked for this transaction, if our claim still holds (the lease did not run out and
    nobody else took it since); else None."""
    query = select(model).where(model.id == row_id, model.leased_until == lease)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def take_due(session: Session, model: type[Any], row_id: int, now: datetime) -> Any | None:
    """The row, locked for this transaction, if it is due and nobody holds a claim on it; else None. For work
    done in the same transaction that takes it (a timed job calls no Slack), which needs no lease: a crash
    rolls both back, and the row is still due."""
    query = select(model).where(
        model.id == row_id,
        model.due_at <= now,
        or_(model.leased_until.is_(None), model.leased_until < now),
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # a replica's tick has it: leave it to them
    return session.scalar(query)


class ClaimLost(Exception):
    """The lease ran out, or the row was cancelled, before the work was recorded: roll the work back."""


def complete(session: Session, model: type[Any], row_id: int, lease: datetime, **values: Any) -> None:
    """Record, in the caller's transaction, that the claimed row is done (or `values` say what it is now).
    Raises ClaimLost when the claim no longer holds, so the caller's transaction rolls back and the work
    is never recorded twice."""
    done = session.execute(
        update(model)
        .where(model.id == row_id, model.leased_until == lease)
        .values(**{"due_at": None, "leased_until": None, "last_error": None, **values})
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ClaimLost(f"{model.__tablename__} {row_id}")


def retry_later(
    session: Session, model: type[Any], row_id: int, lease: datetime, now: datetime, error: str
) -> int:
    """Count a failed attempt and make the row due again after a backoff, if our claim still holds.
    Returns the attempts so far (0: the claim was lost, nothing changed)."""
    row = take_claimed(session, model, row_id, lease)
    if row is None:
        return 0
    row.attempts = (row.attempts or 0) + 1
    row.last_error = error[:200]
    row.leased_until = None
    row.due_at = now + backoff(row.attempts)
    return int(row.attempts)


# ----- timed jobs: reminders, pages, escalations, expiries, housekeeping


class TimedJob(DueColumns, Base):
    """One piece of timed work for a domain: `kind` names the handler (e.g. "flags.deadline_reminder").
    `key`, when given, makes scheduling idempotent: a second `schedule` with the same key is a no-op."""

    __tablename__ = "timed_jobs"
    __table_args__ = (Index("ix_timed_jobs_item", "item_type", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    item_type: Mapped[str | None] = mapped_column(String(32))
    item_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))  # "done" | "cancelled" | "gave_up"


@dataclass(frozen=True)
class Job:
    """What a handler sees of its job (never the ORM row, so it cannot change the bookkeeping)."""

    id: int
    kind: str
    item_type: str | None
    item_id: int | None
    payload: dict[str, Any]
    due_at: datetime
    attempts: int


def schedule(
    session: Session,
    *,
    kind: str,
    due_at: datetime,
    now: datetime,
    item_type: str | None = None,
    item_id: int | None = None,
    payload: dict[str, Any] | None = None,
    key: str | None = None,
) -> TimedJob | None:
    """Add a job, in the caller's transaction. With a `key` already used, nothing is added (None)."""
    if key is not None and session.scalar(select(TimedJob.id).where(TimedJob.key == key)) is not None:
        return None
    job = TimedJob(
        kind=kind,
        key=key,
        item_type=item_type,
        item_id=item_id,
        payload=payload or {},
        created_at=now,
        due_at=due_at,
        attempts=0,
    )
    try:
        with session.begin_nested():  # a replica scheduling the same key at the same moment: keep theirs
            session.add(job)
    except IntegrityError:
        return None
    return job


STARTED_KEY = "flagpost.due.started"


def start_after_commit(session: Session, job_id: int) -> None:
    """Do this job (due now) right after the caller's transaction commits, instead of at the next tick:
    work moved out of a request's answer still happens at once. If that try fails, or the process dies
    first, the row is still due and the scheduler does it."""
    session.info.setdefault(STARTED_KEY, []).append(job_id)


def take_started(session: Session) -> list[int]:
    """The jobs this session asked to start right after its commit (call after commit)."""
    return list(session.info.pop(STARTED_KEY, None) or [])


def cancel(
    session: Session, *, now: datetime, item_type: str, item_id: int, kinds: Sequence[str] = ()
) -> int:
    """Cancel the pending jobs of an item (all, or only `kinds`), in the caller's transaction. A job already
    claimed by a worker is cancelled too: its handler finds its row gone from the due set and does nothing."""
    query = (
        update(TimedJob)
        .where(TimedJob.item_type == item_type, TimedJob.item_id == item_id, TimedJob.done_at.is_(None))
        .values(due_at=None, leased_until=None, done_at=now, outcome="cancelled")
        .execution_options(synchronize_session=False)
    )
    if kinds:
        query = query.where(TimedJob.kind.in_(list(kinds)))
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]


def job_view(row: TimedJob) -> Job:
    assert row.due_at is not None
    return Job(
        row.id, row.kind, row.item_type, row.item_id, dict(row.payload or {}), row.due_at, row.attempts
    )


def complete_job(
    session: Session, job_id: int, lease: datetime, now: datetime, outcome: str = "done"
) -> None:
    complete(session, TimedJob, job_id, lease, done_at=now, outcome=outcome)
