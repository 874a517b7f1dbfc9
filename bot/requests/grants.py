"""What follows an approval: IT and Communications told in writing, IT's tasks, the grant's end date and
its extension (Taber 1.05(c),(e),(f); 1.02(d)). Called by the services inside their transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import audit, due
from bot.calendar import BusinessCalendar
from bot.config import Organization
from bot.db import compare_and_set
from bot.errors import Conflict, InvalidInput, NotAuthorized
from bot.requests import timing
from bot.requests.fields import choice_label
from bot.requests.models import ITEM, Kind, Request, RequestStep, RequestTask, Status, StepStatus, TaskKind
from bot.requests.store import changed, day_label, dm, end_of, get_request, get_task, tell, touch_task
from bot.requests.transitions import RequestAction, check
from bot.roles import Role, has_role, require_role
from bot.slack.blocks import clip
from bot.slack.text import escape, slack_date


def time_frame(request: Request) -> str:
    if request.starts_on is None or request.ends_on is None:
        return ""
    return f"from {day_label(request.starts_on)} to {day_label(request.ends_on)}"


def what_next(request: Request) -> str:
    """The last line of the requester's "approved" DM: what happens now."""
    kind = Kind(request.kind)
    if kind is Kind.ACCESS:
        return (
            f"\nIT will set up your access (Taber 1.05(e),(f)); it runs {time_frame(request)}. "
            "I'll remind you the business day before it ends."
        )
    if kind is Kind.ACCOUNT:
        return "\nIT and Communications have been told (Taber 1.02(d))."
    return "\nCommunications have been told, so it can be posted."


def _written_notice(request: Request, approvers: list[str]) -> str:
    """What the policy says IT and Communications are told: approval, platform, employee, time frame."""
    platform = escape(request.details.get("platform", ""))
    who = ", ".join(f"<@{user}>" for user in approvers)
    if Kind(request.kind) is Kind.ACCOUNT:
        department = escape(request.details.get("department", ""))
        return (
            f":memo: *New department profile approved* ({request.ref}): {department} on {platform}, asked by "
            f"<@{request.requester}>, approved by {who}. _Taber 1.02(d): IT and Communications must be made "
            "aware of the new profile._"
        )
    return (
        f":memo: *Access approved* ({request.ref}): <@{request.requester}> may use the town's {platform} "
        f"account(s) {time_frame(request)}. Approved by {who}. _Taber 1.05(c)._\n"
        f"Training by Communications: {choice_label(Kind.ACCESS, 'training', request.details.get('training'))} "
        "(Taber 1.05(h))."
    )


def _tell_it_and_communications(
    session: Session, org: Organization, now: datetime, text: str
) -> dict[str, list[str]]:
    """Told in writing (Taber 1.05(c), 1.02(d)); returns where each went, for the audit trail."""
    return {
        "it": tell(session, org, now, Role.IT, text),
        "communications": tell(session, org, now, Role.COMMUNICATIONS, text),
    }


def _approvers(request: Request) -> list[str]:
    return [step.decided_by for step in request.steps if step.decided_by]


def on_approved(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    calendar: BusinessCalendar,
    request: Request,
    actor: str,
) -> None:
    kind = Kind(request.kind)
    if kind is Kind.ACCESS:
        original = get_request(session, request.extends_id) if request.extends_id else None
        if original is not None and original.status == Status.APPROVED:
            _extend(session, now, org, calendar, original, request)
        else:
            _grant(session, now, org, calendar, request)
        return
    if kind is Kind.ACCOUNT:
        told = _tell_it_and_communications(session, org, now, _written_notice(request, _approvers(request)))
        changed(session, org, request, now, audit.SYSTEM_ACTOR, "notified", clause="Taber 1.02(d)", **told)
        return
    what = escape(request.details.get("event") or request.details.get("link") or "")
    told = {
        "communications": tell(
            session,
            org,
            now,
            Role.COMMUNICATIONS,
            f":white_check_mark: {request.ref} ({escape(request.title.lower())}) is approved: {what}. "
            f"Asked by <@{request.requester}>, approved by <@{actor}>.",
        )
    }
    changed(session, org, request, now, audit.SYSTEM_ACTOR, "notified", **told)


def _grant(
    session: Session, now: datetime, org: Organization, calendar: BusinessCalendar, request: Request
) -> None:
    """Access granted: its end is fixed, IT gets the written notice as a "provision access" task, and
    Communications the same notice."""
    assert request.ends_on is not None
    session.execute(
        update(Request)
        .where(Request.id == request.id)
        .values(expires_at=end_of(org, request.ends_on))
        .execution_options(synchronize_session=False)
    )
    task = RequestTask(request_id=request.id, kind=TaskKind.PROVISION, created_at=now, version=1)
    session.add(task)
    session.flush()
    touch_task(session, org, task, now, new=True)
    notice = _written_notice(request, _approvers(request))
    told = {"it": [f"task {task.id}"], "communications": tell(session, org, now, Role.COMMUNICATIONS, notice)}
    if not org.channels.get("it"):
        told["it"] += tell(session, org, now, Role.IT, notice)
    timing.schedule_expiry(session, org, calendar, request, now)
    changed(session, org, request, now, audit.SYSTEM_ACTOR, "notified", clause="Taber 1.05(c)", **told)


def _extend(
    session: Session,
    now: datetime,
    org: Organization,
    calendar: BusinessCalendar,
    original: Request,
    extension: Request,
) -> None:
    """An approved extension moves the grant's end; IT and Communications are told the new time frame."""
    assert extension.ends_on is not None and original.ends_on is not None
    old_end = original.ends_on
    values = {"ends_on": extension.ends_on, "expires_at": end_of(org, extension.ends_on)}
    if not compare_and_set(session, Request, original.id, original.version, **values):
        raise Conflict(f"{original.ref} changed meanwhile; please try again.")
    due.cancel(
        session, now=now, item_type=ITEM, item_id=original.id, kinds=[timing.EXPIRY_REMINDER, timing.EXPIRE]
    )
    session.expire_all()
    original = get_request(session, original.id)
    timing.schedule_expiry(session, org, calendar, original, now)
    changed(
        session,
        org,
        original,
        now,
        audit.SYSTEM_ACTOR,
        "extended",
        old_end=old_end.isoformat(),
        new_end=extension.ends_on.isoformat(),
        extension=extension.id,
    )
    notice = (
        f":memo: *Access extended* ({original.ref}, by {extension.ref}): <@{original.requester}> may use the "
        f"town's {escape(original.details.get('platform', ''))} account(s) until {day_label(extension.ends_on)} "
        f"instead of {day_label(old_end)}. Approved by "
        f"{', '.join(f'<@{u}>' for u in _approvers(extension))}. _Taber 1.05(c)._"
    )
    told = _tell_it_and_communications(session, org, now, notice)
    changed(session, org, extension, now, audit.SYSTEM_ACTOR, "notified", clause="Taber 1.05(c)", **told)


def open_revoke_task(session: Session, now: datetime, org: Organization, request: Request) -> RequestTask:
    task = RequestTask(request_id=request.id, kind=TaskKind.REVOKE, created_at=now, version=1)
    session.add(task)
    session.flush()
    touch_task(session, org, task, now, new=True)
    return task


def task_done(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    task_id: int,
    actor: str,
) -> RequestTask:
    """IT marks a task done: access set up (Taber 1.05(e),(f)) or removed."""
    require_role(org, actor, Role.IT, why="Taber 1.05(e)")
    task = get_task(session, task_id)
    if task.done_by is not None:
        raise Conflict(f"This task was already done by <@{task.done_by}> {slack_date(task.done_at or now)}.")
    if not compare_and_set(session, RequestTask, task.id, task.version, done_by=actor, done_at=now):
        session.expire_all()
        raise Conflict(f"This task was already done by <@{get_task(session, task_id).done_by}>.")
    session.expire_all()
    task = get_task(session, task_id)
    request = get_request(session, task.request_id)
    touch_task(session, org, task, now)
    action = "provisioned" if task.kind == TaskKind.PROVISION else "revoked"
    changed(session, org, request, now, actor, action, task=task.id)
    platform = clip(escape(request.details.get("platform", "")), 200)
    text = (
        f":key: <@{actor}> (IT) has set up your access to the town's {platform} account(s) for {request.ref}. "
        "IT gives you the initial password; don't change it without telling IT (Taber 1.05(f),(g))."
        if task.kind == TaskKind.PROVISION
        else f":lock: <@{actor}> (IT) has removed your access to the town's {platform} account(s) ({request.ref})."
    )
    dm(session, now, request.requester, text)
    return task


def tell_cao_of_campaign_content(
    session: Session, org: Organization, request: Request, now: datetime
) -> None:
    """Taber 1.04(p): candidate or campaign content is brought to the CAO immediately."""
    organisation = escape(request.details.get("organisation", ""))
    event = escape(request.details.get("event", ""))
    people = org.users_with_role(Role.CAO) or org.users_with_role(Role.ADMIN)
    for person in people:
        dm(
            session,
            now,
            person,
            f":ballot_box_with_ballot: <@{request.requester}> asks the town to share candidate or campaign "
            f"content: {organisation}, “{event}” ({request.ref}). It waits for your decision in the approvals "
            "channel. _Taber 1.04(p): the CAO is told immediately; Westlock 9.2._",
        )
    audit.record(
        session,
        at=now,
        actor=audit.SYSTEM_ACTOR,
        action="cao_notified",
        item_type=ITEM,
        item_id=request.id,
        clause="Taber 1.04(p)",
        to=people,
    )


def end_grant(session: Session, now: datetime, org: Organization, request: Request, actor: str) -> Request:
    """Access ends now: at its end date (`actor` is the system), or early, by hand. It shows as expired,
    its reminders stop, the requester is told, and IT gets a "revoke access" task."""
    check(request, RequestAction.EXPIRE)
    early = actor != audit.SYSTEM_ACTOR
    values: dict[str, object] = {"status": Status.EXPIRED}
    if early:
        values["expires_at"] = now  # what the card and IT's task say: it ended now
    if not compare_and_set(session, Request, request.id, request.version, **values):
        raise Conflict(f"{request.ref} changed while its access was ending; look at the card again.")
    if early:  # not from the expiry job itself: cancelling its own row would lose its completion
        kinds = [timing.EXPIRE, timing.EXPIRY_REMINDER]
        due.cancel(session, now=now, item_type=ITEM, item_id=request.id, kinds=kinds)
    _close_pending_extensions(session, now, org, request, actor)
    session.expire_all()
    request = get_request(session, request.id)
    task = open_revoke_task(session, now, org, request)
    changed(session, org, request, now, actor, "ended_early" if early else "expired", task=task.id)
    platform = escape(request.details.get("platform", ""))
    by = f" <@{actor}> ended it early." if early and actor != request.requester else ""
    dm(
        session,
        now,
        request.requester,
        f":lock: Your access to the town's {platform} account(s) ({request.ref}) has ended;{by} "
        "IT has been asked to remove it. Thank you.",
    )
    return request


def _close_pending_extensions(
    session: Session, now: datetime, org: Organization, request: Request, actor: str
) -> None:
    """More time on access that has ended is moot: a pending extension is withdrawn, and its approvers are
    no longer reminded of it."""
    pending = session.scalars(
        select(Request).where(Request.extends_id == request.id, Request.status == Status.PENDING)
    ).all()
    for extension in pending:
        values = {"status": Status.CANCELLED, "decided_at": now, "cancelled_by": actor}
        if not compare_and_set(session, Request, extension.id, extension.version, **values):
            continue  # decided meanwhile: its own approval path refuses more time on ended access
        session.execute(
            update(RequestStep)
            .where(RequestStep.request_id == extension.id, RequestStep.status == StepStatus.PENDING)
            .values(status=StepStatus.SKIPPED)
            .execution_options(synchronize_session=False)
        )
        due.cancel(session, now=now, item_type=ITEM, item_id=extension.id)
        changed(session, org, extension, now, actor, "cancelled", because=f"{request.ref} ended")


def end_access_now(
    *, session: Session, now: datetime, org: Organization, request_id: int, actor: str
) -> Request:
    """ "End access now" on an approved access request: for the person it was granted to, the director who
    approved it, Communications and admins (Taber 1.05(i): they oversee it for its duration)."""
    request = get_request(session, request_id)
    if request.kind != Kind.ACCESS:
        raise InvalidInput(f"{request.ref} is not an access request; there is no access to end.")
    directors = {step.approver for step in request.steps if step.approver}
    if (
        actor != request.requester
        and actor not in directors
        and not has_role(org, actor, Role.COMMUNICATIONS)
    ):
        who = ", ".join(f"<@{user}>" for user in [request.requester, *sorted(directors)])
        raise NotAuthorized(
            f"Only {who}, Communications or an admin can end the access of {request.ref} (Taber 1.05(i): "
            "Communications and the director oversee it). Nothing was changed."
        )
    return end_grant(session, now, org, request, actor)
