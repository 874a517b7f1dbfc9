"""Small shared steps of the requests services: load an item, record a change, tell people."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session, selectinload

from bot import audit
from bot.config import Organization
from bot.delivery import queue_message, touch_card
from bot.errors import InvalidInput, NotFound
from bot.requests.models import ITEM, TASK_ITEM, Request, RequestTask, request_ref
from bot.roles import Role


def get_request(session: Session, request_id: int) -> Request:
    request = session.get(
        Request, request_id, options=[selectinload(Request.steps), selectinload(Request.tasks)]
    )
    if request is None:
        raise NotFound(f"There is no request {request_ref(request_id)}.")
    return request


def get_task(session: Session, task_id: int) -> RequestTask:
    task = session.get(RequestTask, task_id)
    if task is None:
        raise NotFound("That task no longer exists.")
    return task


def approvals_channel(org: Organization) -> str:
    channel = org.channels.get("approvals")
    if not channel:
        raise InvalidInput(
            "Requests need an approvals channel, and none is set up yet. Ask your Flagpost admin to add "
            "`approvals` under [channels] in organization.toml."
        )
    return channel


def changed(
    session: Session,
    org: Organization,
    request: Request,
    now: datetime,
    actor: str,
    action: str,
    **details: Any,
) -> None:
    """One transition's trail: an audit event, and the card edited in place."""
    audit.record(session, at=now, actor=actor, action=action, item_type=ITEM, item_id=request.id, **details)
    touch_card(session, item_type=ITEM, item_id=request.id, channel=approvals_channel(org), now=now)


def touch_task(
    session: Session, org: Organization, task: RequestTask, now: datetime, new: bool = False
) -> None:
    touch_card(session, item_type=TASK_ITEM, item_id=task.id, channel=it_channel(org), now=now, new=new)


def it_channel(org: Organization) -> str:
    """IT's tasks go to the IT channel, or to the approvals channel when there is none."""
    return org.channels.get("it") or approvals_channel(org)


def tell(session: Session, org: Organization, now: datetime, role: Role, text: str) -> list[str]:
    """Tell a department in writing: in its channel, or by DM to each of its people when it has none.
    Returns where it went, for the audit trail."""
    channel = org.channels.get(role.value)
    if channel:
        queue_message(session, now=now, channel=channel, text=text)
        return [channel]
    people = org.users_with_role(role)
    for person in people:
        queue_message(session, now=now, dm_user=person, text=text)
    return people


def dm(
    session: Session, now: datetime, user: str, text: str, blocks: list[dict[str, Any]] | None = None
) -> None:
    queue_message(session, now=now, dm_user=user, text=text, blocks=blocks)


def day_start(org: Organization, day: date) -> datetime:
    """Midnight at the start of `day` in the town's time zone."""
    return datetime.combine(day, time(0), tzinfo=org.tz)


def end_of(org: Organization, day: date) -> datetime:
    """When a grant "until `day`" ends: midnight after that day, in the town's time zone."""
    return day_start(org, day + timedelta(days=1))


def day_label(day: date) -> str:
    """A day as people write it: "Fri Nov 20, 2026"."""
    return f"{day:%a %b} {day.day}, {day.year}"
