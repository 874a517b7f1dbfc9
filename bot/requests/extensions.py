"""Asking for more time on an access grant: a new request that goes through the same steps, and on
approval moves the grant's end date (see grants). Users asked for it (strongdm/accessbot#221)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.calendar import BusinessCalendar
from bot.config import Organization
from bot.delivery import touch_card
from bot.errors import Conflict, InvalidInput, NotAuthorized
from bot.requests import transitions
from bot.requests.fields import MAX_GRANT, MAX_LONG, read_date
from bot.requests.ids import RequestIds
from bot.requests.models import ITEM, Kind, Request, Status
from bot.requests.service import Receipt, open_request
from bot.requests.steps import describe
from bot.requests.store import approvals_channel, day_label, get_request
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
    original = may_extend(session=session, request_id=request_id, actor=actor)
    assert original.ends_on is not None
    ends_on = read_date(new_end, RequestIds.NEW_END)
    assert ends_on is not None
    if ends_on <= original.ends_on:
        raise InvalidInput(
            f"Choose a day after {day_label(original.ends_on)}, when the access ends now.", RequestIds.NEW_END
        )
    today = now.astimezone(org.tz).date()
    if ends_on - today > MAX_GRANT:
        raise InvalidInput("Temporary access is for a year at most.", RequestIds.NEW_END)
    why = (reason or "").strip()
    if not why:
        raise InvalidInput("Please say why you need more time.", RequestIds.REASON)
    if len(why) > MAX_LONG:
        raise InvalidInput(f"Please keep this under {MAX_LONG:,} characters.", RequestIds.REASON)
    starts_on = max(original.ends_on + timedelta(days=1), today)
    details = {key: value for key, value in original.details.items() if key != "checks"}
    details.update(start=starts_on.isoformat(), end=ends_on.isoformat(), reason=why, checks=[])
    if details.get("training") != "done":
        details["checks"] = ["training_not_done"]
    extension = Request(
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
    open_request(session, now, org, calendar, extension, to_cao=False)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="extension_requested",
        item_type=ITEM,
        item_id=original.id,
        extension=extension.id,
        new_end=ends_on.isoformat(),
    )
    touch_card(session, item_type=ITEM, item_id=original.id, channel=approvals_channel(org), now=now)
    first = extension.steps[0]
    return Receipt(
        extension.ref, Kind.ACCESS, describe(first), len(extension.steps), tuple(details["checks"])
    )
