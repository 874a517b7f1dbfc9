"""Timed work on requests: stale steps are reminded and pointed out to the CAO; access grants are
reminded the business day before they end, then expire and IT is asked to revoke them. Each handler
re-checks the request, so a decision or an extension made meanwhile makes the job a no-op."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import audit, due
from bot.config import Organization
from bot.delivery import queue_message
from bot.requests import grants, steps, timing
from bot.requests.blocks import extension_offer
from bot.requests.models import ITEM, Request, Status
from bot.requests.store import approvals_channel, changed, day_label, dm, get_request, tell
from bot.roles import Role
from bot.slack.text import escape, slack_date


def _still(request: Request, job: due.Job) -> bool:
    """The grant the job was scheduled for is still live with the same end date."""
    return request.status == Status.APPROVED and str(request.ends_on) == job.payload.get("ends_on")


def stale(*, session: Session, now: datetime, org: Organization, job: due.Job, **_context: Any) -> None:
    """After one business day, remind the current step's approvers; after three, tell the CAO (nagging
    goes to the owner, then the lead, never the whole channel)."""
    request = get_request(session, job.item_id or 0)
    step = request.current_step
    if step is None or step.position != job.payload.get("step"):
        return  # decided or cancelled meanwhile
    days = int(job.payload.get("days", timing.REMIND_AFTER_DAYS))
    what = f"{request.ref} ({escape(request.title.lower())}) from <@{request.requester}>"
    since = f"step {step.position}, since {slack_date(step.started_at or request.created_at)}"
    where = f"The card is in <#{approvals_channel(org)}>."
    if days < timing.CAO_AFTER_DAYS:
        action, people = (
            "reminded",
            [user for user in steps.approvers(org, step) if user != request.requester],
        )
        text = f":hourglass: {what} has waited a business day for your decision ({since}). {where}"
    else:
        action, people = (
            "pointed_out_to_cao",
            org.users_with_role(Role.CAO) or org.users_with_role(Role.ADMIN),
        )
        whom = "your decision" if "cao" in step.role_list else steps.describe(step)
        waiting = f"{days} business days for {whom}"
        text = f":hourglass_flowing_sand: {what} has waited {waiting} ({since}). {where}"
    for person in people:
        dm(session, now, person, text)
    audit.record(
        session,
        at=now,
        actor=audit.SYSTEM_ACTOR,
        action=action,
        item_type=ITEM,
        item_id=request.id,
        step=step.position,
        business_days=days,
        to=people,
    )


def expiry_reminder(
    *, session: Session, now: datetime, org: Organization, job: due.Job, **_context: Any
) -> None:
    """The business day before a grant ends: the employee (who may ask to extend it) and IT."""
    request = get_request(session, job.item_id or 0)
    if not _still(request, job):
        return
    assert request.ends_on is not None and request.expires_at is not None
    platform = escape(request.details.get("platform", ""))
    text = (
        f":alarm_clock: Your access to the town's {platform} account(s) ({request.ref}) ends after "
        f"{day_label(request.ends_on)}. Need longer? Ask for an extension: it goes to your director and the "
        "CAO again (Taber 1.05(b))."
    )
    queue_message(
        session, now=now, dm_user=request.requester, text=text, blocks=extension_offer(request, text)
    )
    told = tell(
        session,
        org,
        now,
        Role.IT,
        f":alarm_clock: <@{request.requester}>'s access to the town's {platform} account(s) "
        f"({request.ref}) ends {slack_date(request.expires_at)}; you'll get a task to remove it then.",
    )
    changed(
        session,
        org,
        request,
        now,
        audit.SYSTEM_ACTOR,
        "expiry_reminded",
        it=told,
        ends_on=str(request.ends_on),
    )


def expire(*, session: Session, now: datetime, org: Organization, job: due.Job, **_context: Any) -> None:
    """The grant's end: it shows as expired, and IT gets a "revoke access" task."""
    request = get_request(session, job.item_id or 0)
    if _still(request, job):
        grants.end_grant(session, now, org, request, audit.SYSTEM_ACTOR)


TIMED = {timing.STALE: stale, timing.EXPIRY_REMINDER: expiry_reminder, timing.EXPIRE: expire}
