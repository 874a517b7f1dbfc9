"""Asking for more time on an access grant: a new request that goes through the same steps, and on
approval moves the grant's end date (see grants). Users asked for it (strongdm/accessbot#221)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.calendar import BusinessCalendar
from bot.config import Organization
from bot.errors import Conflict, InvalidInput, NotAuthorized
from bot.requests import transitions
from bot.requests.fields import MAX_GRANT, MAX_LONG, read_date
from bot.requests.ids import RequestIds
from bot.requests.models import Kind, Request, Status
from bot.requests.service import Receipt, open_request
from bot.requests.steps import describe
from bot.requests.store import changed, day_label, get_request
from bot.requests.transitions import RequestAction


def may_extend(*, session: Session, request_id: int, actor: str) -> Request:
    """The grant, if `actor` may ask for more time on it now (checked before the form opens)."""
    original = get_request(session, request_id)
    transitions.check(original, RequestAction.EXTEND)
    if actor != original.requester:
        raise NotAuthorized(
            f"Only <@{original.requester}>, whose access it is, can ask for more time on {original.ref}."
        )
    pending = session.scalar(
        select(Request.id).where(Request.extends_id == original.id, Request.status == Status.PENDING)
    )
    if pending is not None:
        raise Conflict(
            f"R-{pending} already asks for more time on {original.ref}; it waits for its approvals."
        )
    return original


def _new_end(original: Request, value: str | None, today: date) -> date:
    assert original.ends_on is not None
    ends_on = read_date(value, RequestIds.NEW_END)
    assert ends_on is not None
    if ends_on <= original.ends_on:
        raise InvalidInput(
            f"Choose a day after {day_label(original.ends_on)}, when the access ends now.", RequestIds.NEW_END
        )
    if ends_on - today > MAX_GRANT:
        raise InvalidInput("Temporary access is for a year at most.", RequestIds.NEW_END)
    return ends_on


def _why(reason: str | None) -> str:
    why = (reason or "").strip()
    if not why:
        raise InvalidInput("Please say why you need more time.", RequestIds.REASON)
    if len(why) > MAX_LONG:
        raise InvalidInput(f"Please keep this under {MAX_LONG:,} characters.", RequestIds.REASON)
    return why


def _extension(original: Request, ends_on: date, why: str, today: date, now: datetime) -> Request:
    """A new access request for the days after the grant, with its fields, director and training."""
    assert original.ends_on is not None
    starts_on = max(original.ends_on + timedelta(days=1), today)
    details = {key: value for key, value in original.details.items() if key != "checks"}
    found = [] if details.get("training") == "done" else ["training_not_done"]
    details.update(start=starts_on.isoformat(), end=ends_on.isoformat(), reason=why, checks=found)
    return Request(
        kind=Kind.ACCESS,
        status=Status.PENDING,
        requester=original.requester,
        director=original.director,
        details=details,
        starts_on=starts_on,
        ends_on=ends_on,
        extends_id=original.id,
        created_at=now,
        version=1,
    )


def request_extension(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    calendar: BusinessCalendar,
    request_id: int,
    actor: str,
    new_end: str | None,
    reason: str | None,
) -> Receipt:
    """More time on a grant: a new request through the same steps; on approval the grant's end moves."""
    original = may_extend(session=session, request_id=request_id, actor=actor)
    today = now.astimezone(org.tz).date()
    extension = _extension(original, _new_end(original, new_end, today), _why(reason), today, now)
    open_request(session, now, org, calendar, extension, to_cao=False)
    changed(
        session,
        org,
        original,
        now,
        actor,
        "extension_requested",
        extension=extension.id,
        new_end=str(extension.ends_on),
    )
    checks_found = tuple(extension.details["checks"])
    return Receipt(
        extension.ref, Kind.ACCESS, describe(extension.steps[0]), len(extension.steps), checks_found
    )
