"""The hot path of filing, in SQLAlchemy Core: a report stored, as a new flag or a +1, with the job that does the
rest, in one statement on PostgreSQL (three on SQLite, which has no INSERT inside WITH, in one transaction).

`INSERT … ON CONFLICT (open_url_key) DO UPDATE` lets the database's one-open-flag-per-post rule decide between
a new flag and a +1, without a SELECT first and without a race between two reporters (or two replicas): the
second waits on the first's row and becomes its +1. A new flag is the row at version 1; a +1 bumps the version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, case, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from bot.db import UTCDateTime, upsert
from bot.due import TimedJob
from bot.flags.models import ITEM, Flag, FlagReport, Kind, Priority, Status

INTAKE = "flags.intake"  # the work after the answer, for a new flag (bot/flags/jobs.py)
REPORTED_AGAIN = "flags.reported_again"  # … and for a +1


@dataclass(frozen=True)
class FlagRow:
    """A new flag's columns, everything known before the database is asked."""

    url: str | None
    open_url_key: str | None
    platform: str
    kind: Kind
    priority: Priority
    kind_guessed: bool
    created_by: str
    created_at: datetime
    deadline_at: datetime


@dataclass(frozen=True)
class StoredReport:
    flag_id: int
    merged: bool  # a +1 on an open flag for the same post
    reporter_count: int
    kind: str
    priority: str
    deadline_at: datetime
    job_id: int


def _flag_upsert(session: Session, flag: FlagRow) -> Any:
    values = {**asdict(flag), "kind": str(flag.kind), "priority": str(flag.priority)}
    return (
        upsert(session, Flag)
        .values(**values, status=Status.OPEN.value, routed_kinds="", version=1)
        .on_conflict_do_update(index_elements=[Flag.open_url_key], set_={"version": Flag.version + 1})
        .returning(Flag.id, Flag.version, Flag.kind, Flag.priority, Flag.deadline_at)
    )


def _report_values(reporter: str, note: str, url: str | None, source: str, now: datetime) -> dict[str, Any]:
    return {"reporter": reporter, "note": note, "url": url, "source": source, "reported_at": now}


def _job_kind(version: Any) -> Any:
    return case((version == 1, literal(INTAKE)), else_=literal(REPORTED_AGAIN))


def file_report(
    session: Session, flag: FlagRow, *, reporter: str, note: str, source: str, payload: dict[str, Any]
) -> StoredReport:
    """Store one report and its follow-up job (carrying `payload`), in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        return _in_one_statement(session, flag, reporter, note, source, payload)
    return _statement_by_statement(session, flag, reporter, note, source, payload)


def _in_one_statement(
    session: Session, flag: FlagRow, reporter: str, note: str, source: str, payload: dict[str, Any]
) -> StoredReport:
    now = flag.created_at
    stored = _flag_upsert(session, flag).cte("stored")
    report_values = _report_values(reporter, note, flag.url, source, now)
    report_types = {
        "reporter": String,
        "note": String,
        "url": String,
        "source": String,
        "reported_at": UTCDateTime,
    }
    report = (
        insert(FlagReport)
        .from_select(
            ["flag_id", *report_values],
            select(stored.c.id, *(literal(v, report_types[k]) for k, v in report_values.items())),
        )
        .returning(FlagReport.id)
        .cte("report")
    )
    job = (
        insert(TimedJob)
        .from_select(
            ["kind", "item_type", "item_id", "payload", "created_at", "due_at", "attempts"],
            select(
                _job_kind(stored.c.version),
                literal(ITEM),
                stored.c.id,
                literal(payload, JSON),
                literal(now, UTCDateTime),
                literal(now, UTCDateTime),
                literal(0, Integer),
            ),
        )
        .returning(TimedJob.id)
        .cte("job")
    )
    # What the reporter is told of a +1: how many reported it. The statement's snapshot does not see its own
    # report, hence "earlier reporters, plus one unless this is one of them".
    earlier = FlagReport.flag_id == stored.c.id
    reporters = select(func.count(func.distinct(FlagReport.reporter))).where(earlier).scalar_subquery()
    again = exists().where(earlier, FlagReport.reporter == reporter)
    row = session.execute(
        select(
            stored.c.id,
            stored.c.version,
            stored.c.kind,
            stored.c.priority,
            stored.c.deadline_at,
            job.c.id.label("job_id"),
            (reporters + case((again, 0), else_=1)).label("reporters"),
        ).select_from(stored.join(report, literal(True)).join(job, literal(True)))
    ).one()
    return StoredReport(
        row.id, row.version > 1, row.reporters, row.kind, row.priority, row.deadline_at, row.job_id
    )


def _statement_by_statement(
    session: Session, flag: FlagRow, reporter: str, note: str, source: str, payload: dict[str, Any]
) -> StoredReport:
    now = flag.created_at
    stored = session.execute(_flag_upsert(session, flag)).one()
    session.execute(
        insert(FlagReport).values(flag_id=stored.id, **_report_values(reporter, note, flag.url, source, now))
    )
    job_id = session.execute(
        insert(TimedJob)
        .values(
            kind=INTAKE if stored.version == 1 else REPORTED_AGAIN,
            item_type=ITEM,
            item_id=stored.id,
            payload=payload,
            created_at=now,
            due_at=now,
            attempts=0,
        )
        .returning(TimedJob.id)
    ).scalar_one()
    reporters = 1
    if stored.version > 1:
        reporters = session.scalar(
            select(func.count(func.distinct(FlagReport.reporter))).where(FlagReport.flag_id == stored.id)
        )
    return StoredReport(
        stored.id,
        stored.version > 1,
        reporters or 1,
        stored.kind,
        stored.priority,
        stored.deadline_at,
        job_id,
    )
