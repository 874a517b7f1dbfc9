"""When a request's timed work is due: reminders of stale steps, and the end of an access grant.

Every piece is a `timed_jobs` row (bot.due), keyed so that scheduling twice is harmless; the handlers are
in `jobs`. Business days are counted on the organisation's calendar, as flags' deadlines are.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot import due
from bot.calendar import BusinessCalendar
from bot.config import Organization
from bot.requests.models import ITEM, Request, RequestStep
from bot.requests.store import end_of

STALE = "requests.stale"  # a step pending for a business day (remind) or three (tell the CAO)
EXPIRY_REMINDER = "requests.expiry_reminder"  # the business day before access ends
EXPIRE = "requests.expire"  # access ends: IT revokes it
REMIND_AFTER_DAYS = 1
CAO_AFTER_DAYS = 3


def business_day_hours(org: Organization) -> float:
    """The length of one business day, so "one business day" is that many business hours."""
    start, end = org.hours.start, org.hours.end
    return (end.hour * 60 + end.minute - start.hour * 60 - start.minute) / 60


def schedule_stale(
    session: Session,
    org: Organization,
    calendar: BusinessCalendar,
    request: Request,
    step: RequestStep,
    now: datetime,
) -> None:
    """A step that just became current is checked on after one and after three business days."""
    for days in (REMIND_AFTER_DAYS, CAO_AFTER_DAYS):
        due.schedule(
            session,
            kind=STALE,
            due_at=calendar.add_business_hours(now, days * business_day_hours(org)),
            now=now,
            item_type=ITEM,
            item_id=request.id,
            payload={"step": step.position, "days": days},
            key=f"{STALE}:{request.id}:{step.position}:{days}",
        )


def reminder_moment(org: Organization, calendar: BusinessCalendar, ends_on: date) -> datetime:
    """The start of the last business day before access ends (a Friday for a grant ending on Sunday)."""
    day = ends_on - timedelta(days=1)
    for _ in range(14):  # holidays and weekends: two weeks is more than any run of days off
        if calendar.is_business_day(day):
            break
        day -= timedelta(days=1)
    return datetime.combine(day, org.hours.start, tzinfo=org.tz)


def schedule_expiry(
    session: Session, org: Organization, calendar: BusinessCalendar, request: Request, now: datetime
) -> None:
    """The reminder the business day before, and the end itself. Keyed by the end date, so an extension
    schedules anew after cancelling these."""
    assert request.ends_on is not None
    ends = request.ends_on.isoformat()
    remind_at = reminder_moment(org, calendar, request.ends_on)
    if remind_at > now:  # a grant approved on its last business day gets no reminder
        due.schedule(
            session,
            kind=EXPIRY_REMINDER,
            due_at=remind_at,
            now=now,
            item_type=ITEM,
            item_id=request.id,
            payload={"ends_on": ends},
            key=f"{EXPIRY_REMINDER}:{request.id}:{ends}",
        )
    due.schedule(
        session,
        kind=EXPIRE,
        due_at=max(end_of(org, request.ends_on), now),
        now=now,
        item_type=ITEM,
        item_id=request.id,
        payload={"ends_on": ends},
        key=f"{EXPIRE}:{request.id}:{ends}",
    )
