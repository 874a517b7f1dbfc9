"""What people do to requests: file one, approve or deny a step, cancel. Each function is one transaction's
worth of work on the session it is given: it checks the actor, changes state through the transitions
table, writes an audit event, and queues what Slack should show. What follows an approval of access (IT,
Communications, expiry) is in `grants`; timed work in `jobs`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from bot import audit, due
from bot.calendar import BusinessCalendar
from bot.config import Organization
from bot.db import compare_and_set
from bot.delivery import touch_card
from bot.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from bot.requests import checks, grants, steps, transitions
from bot.requests.fields import read_answers
from bot.requests.ids import RequestIds
from bot.requests.models import ITEM, Kind, Request, RequestStep, Status, StepStatus
from bot.requests.store import approvals_channel, changed, day_label, dm, end_of, get_request
from bot.requests.timing import STALE, schedule_stale
from bot.requests.transitions import RequestAction
from bot.roles import Role, require_not_self
from bot.slack.blocks import clip
from bot.slack.text import escape

MAX_COMMENT = 1000


@dataclass(frozen=True)
class Receipt:
    """What the requester reads right after filing."""

    ref: str
    kind: Kind
    first_step: str  # who decides first, in words
    step_count: int
    checks: tuple[str, ...]


def parse_kind(value: str | None) -> Kind:
    word = (value or "").strip().lower()[:40]
    try:
        return Kind(word)
    except ValueError:
        close = process.extractOne(word, [kind.value for kind in Kind], scorer=fuzz.ratio, score_cutoff=70)
        hint = f" Did you mean `/request {close[0]}`?" if close else ""
        raise InvalidInput(
            f"“{escape(word)}” is not a kind of request.{hint} Try access, share, account or photo."
        ) from None


def file_request(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    calendar: BusinessCalendar,
    requester: str,
    kind: str,
    answers: dict[str, Any],
) -> Receipt:
    """A request from the form's answers (keyed by block_id), with its steps, checks and card."""
    chosen = parse_kind(kind)
    approvals_channel(org)
    today = now.astimezone(org.tz).date()
    parsed = read_answers(chosen, answers, today=today, org=org, requester=requester)
    found = checks.checks_for(chosen, parsed.details, today=today, election_period=org.election_period)
    request = Request(
        kind=chosen,
        status=Status.PENDING,
        requester=requester,
        director=parsed.director,
        details={**parsed.details, "checks": found},
        starts_on=parsed.starts_on,
        ends_on=parsed.ends_on,
        created_at=now,
        version=1,
    )
    open_request(session, now, org, calendar, request, checks.goes_to_cao(found))
    if checks.goes_to_cao(found):
        grants.tell_cao_of_campaign_content(session, org, request, now)
    return Receipt(request.ref, chosen, steps.describe(request.steps[0]), len(request.steps), tuple(found))


def open_request(
    session: Session,
    now: datetime,
    org: Organization,
    calendar: BusinessCalendar,
    request: Request,
    to_cao: bool,
) -> None:
    """Give a new request its steps, its card, its audit event, and the reminders of its first step."""
    emergency = "emergency_scene" in (request.details.get("checks") or [])
    planned = steps.plan(org, Kind(request.kind), to_cao, emergency_scene=emergency)
    request.steps = steps.make_steps(planned, request.director, now)
    session.add(request)
    session.flush()
    roles = ["+".join(step.role_list) for step in request.steps]
    found = list(request.details.get("checks") or [])
    audit.record(
        session,
        at=now,
        actor=request.requester,
        action="filed",
        item_type=ITEM,
        item_id=request.id,
        kind=request.kind,
        steps=roles,
        checks=found,
        extends=request.extends_id,
    )
    touch_card(session, item_type=ITEM, item_id=request.id, channel=approvals_channel(org), now=now, new=True)
    schedule_stale(session, org, calendar, request, request.steps[0], now)


def _step(request: Request, position: int | None) -> RequestStep:
    found = next((step for step in request.steps if step.position == position), None)
    if found is None:
        raise NotFound(
            "That button no longer points at a step of this request; the message may be out of date."
        )
    return found


def _clean_comment(text: str | None, required: bool) -> str:
    comment = (text or "").strip()
    if required and not comment:
        raise InvalidInput("Please give a reason: it is sent to the person who asked.", RequestIds.REASON)
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            f"This is {len(comment):,} characters long; please keep it under {MAX_COMMENT:,}.",
            RequestIds.REASON,
        )
    return comment


def may_decide(
    *, session: Session, org: Organization, request_id: int, step: int | None, actor: str, verb: str = "deny"
) -> Request:
    """The request, if `actor` may decide this step now (checked before the reason form is opened)."""
    request = get_request(session, request_id)
    current = _step(request, step)
    transitions.check_step(request, current)
    steps.require_approver(org, request, current, actor, verb)
    require_not_self(actor, request.requester, verb)
    return request


def _decide(
    session: Session,
    now: datetime,
    org: Organization,
    request_id: int,
    step: int | None,
    version: int | None,
    actor: str,
    action: RequestAction,
) -> tuple[Request, RequestStep, str]:
    """Check everything, then move the request and its step in one compare-and-set: of two approvers
    clicking at once exactly one wins, and the other is told who decided."""
    request = get_request(session, request_id)
    current = _step(request, step)
    transitions.check_step(request, current)
    transitions.check(request, action)
    verb = "approve" if action is RequestAction.APPROVE else "deny"
    role = steps.require_approver(org, request, current, actor, verb)
    require_not_self(actor, request.requester, verb)
    if version is not None and version != request.version:
        raise Conflict(
            f"{request.ref} changed after this card was drawn; look at the updated card and try again."
        )
    if action is RequestAction.APPROVE:
        _require_still_grantable(session, org, request, now)
    status = transitions.target(request, action, current)
    values: dict[str, Any] = {"status": status}
    if status is not Status.PENDING:
        values["decided_at"] = now
    if not compare_and_set(session, Request, request.id, request.version, **values):
        session.expire_all()
        fresh = get_request(session, request_id)
        transitions.check_step(fresh, _step(fresh, step))  # says who decided, when
        raise Conflict(f"{request.ref} changed while you clicked; look at the card again.")
    session.expire_all()
    return get_request(session, request_id), current, role


def _require_still_grantable(session: Session, org: Organization, request: Request, now: datetime) -> None:
    """Approving access for a time frame already over, or more time on access already ended, would send IT
    a task nobody can do (Taber 1.05(c))."""
    if request.ends_on is not None and end_of(org, request.ends_on) <= now:
        raise Conflict(
            f"{request.ref} asked for access until {day_label(request.ends_on)}, which has passed, so it "
            "cannot be approved now. Deny it with a note, and the requester can file it again with new dates."
        )
    original = get_request(session, request.extends_id) if request.extends_id else None
    if original is not None and original.status != Status.APPROVED:
        raise Conflict(
            f"{request.ref} asks for more time on {original.ref}, which has {original.status} already, so it "
            "cannot be approved. Deny it with a note; new access is a new request."
        )


def _close_step(
    session: Session, step_id: int, actor: str, role: str, now: datetime, status: StepStatus, comment: str
) -> None:
    session.execute(
        update(RequestStep)
        .where(RequestStep.id == step_id)
        .values(status=status, decided_by=actor, decided_as=role, decided_at=now, comment=comment or None)
        .execution_options(synchronize_session=False)
    )


def _skip_rest(session: Session, request: Request) -> None:
    session.execute(
        update(RequestStep)
        .where(RequestStep.request_id == request.id, RequestStep.status == StepStatus.PENDING)
        .values(status=StepStatus.SKIPPED)
        .execution_options(synchronize_session=False)
    )


def _record(
    session: Session,
    org: Organization,
    request: Request,
    decided: RequestStep,
    role: str,
    actor: str,
    now: datetime,
    action: str,
    **details: Any,
) -> None:
    """The decision's audit event: which step, in which role (an admin stands in for the step's first)."""
    acted_as = decided.role_list[0] if role == "admin" else role
    changed(
        session,
        org,
        request,
        now,
        actor,
        action,
        step=decided.position,
        role=acted_as,
        as_admin=role == "admin",
        **details,
    )


def approve(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    calendar: BusinessCalendar,
    request_id: int,
    step: int | None,
    actor: str,
    version: int | None = None,
    comment: str | None = None,
) -> Request:
    note = _clean_comment(comment, required=False)
    request, decided, role = _decide(
        session, now, org, request_id, step, version, actor, RequestAction.APPROVE
    )
    _close_step(session, decided.id, actor, role, now, StepStatus.APPROVED, note)
    due.cancel(session, now=now, item_type=ITEM, item_id=request.id, kinds=[STALE])
    session.expire_all()
    request = get_request(session, request_id)
    _record(session, org, request, decided, role, actor, now, "approved", comment=note or None)
    _advance(session, org, calendar, request, decided, actor, now, note)
    return request


def _advance(
    session: Session,
    org: Organization,
    calendar: BusinessCalendar,
    request: Request,
    decided: RequestStep,
    actor: str,
    now: datetime,
    note: str,
) -> None:
    """After an approval: the next step starts (with its own reminders), or the request is approved."""
    said = f"\n>{clip(escape(note), 900)}" if note else ""
    what = f"request {request.ref} ({escape(request.title.lower())})"
    following = request.current_step
    if following is not None:
        session.execute(update(RequestStep).where(RequestStep.id == following.id).values(started_at=now))
        schedule_stale(session, org, calendar, request, following, now)
        text = f"<@{actor}> approved step {decided.position} of your {what}.{said}\n"
        dm(
            session,
            now,
            request.requester,
            f":white_check_mark: {text}It now waits for {steps.describe(following)}.",
        )
        return
    changed(session, org, request, now, actor, "fully_approved", steps=len(request.steps))
    text = f"Your {what} is approved: <@{actor}> gave the last approval.{said}{grants.what_next(request)}"
    dm(session, now, request.requester, f":white_check_mark: {text}")
    grants.on_approved(session=session, now=now, org=org, calendar=calendar, request=request, actor=actor)


def deny(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    request_id: int,
    step: int | None,
    actor: str,
    reason: str | None,
    version: int | None = None,
) -> Request:
    """Deny needs a reason; it goes to the requester by DM."""
    text = _clean_comment(reason, required=True)
    request, decided, role = _decide(session, now, org, request_id, step, version, actor, RequestAction.DENY)
    _close_step(session, decided.id, actor, role, now, StepStatus.DENIED, text)
    _skip_rest(session, request)
    due.cancel(session, now=now, item_type=ITEM, item_id=request.id)
    session.expire_all()
    request = get_request(session, request_id)
    _record(session, org, request, decided, role, actor, now, "denied", reason=text)
    dm(
        session,
        now,
        request.requester,
        f":no_entry: <@{actor}> denied your request {request.ref} ({escape(request.title.lower())}). "
        f"The reason:\n>{clip(escape(text), 1500)}",
    )
    return request


def cancel(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    request_id: int,
    actor: str,
    version: int | None = None,
) -> Request:
    """The requester (or an admin) withdraws a pending request."""
    request = get_request(session, request_id)
    transitions.check(request, RequestAction.CANCEL)
    if actor != request.requester and not org.has_role(actor, Role.ADMIN):
        raise NotAuthorized(
            f"Only <@{request.requester}>, who asked, can cancel {request.ref}. Nothing was changed."
        )
    values = {"status": Status.CANCELLED, "decided_at": now, "cancelled_by": actor}
    if not compare_and_set(session, Request, request.id, request.version, **values):
        session.expire_all()
        transitions.check(get_request(session, request_id), RequestAction.CANCEL)
        raise Conflict(f"{request.ref} changed while you clicked; look at the card again.")
    _skip_rest(session, request)
    due.cancel(session, now=now, item_type=ITEM, item_id=request.id)
    session.expire_all()
    request = get_request(session, request_id)
    changed(session, org, request, now, actor, "cancelled")
    if actor != request.requester:
        dm(session, now, request.requester, f"<@{actor}> cancelled your request {request.ref}.")
    return request


# ----- reads


def open_requests_of(*, session: Session, user: str, limit: int = 20) -> list[Request]:
    """The user's pending requests and live grants, newest first."""
    query = (
        select(Request)
        .where(Request.requester == user, Request.status.in_([Status.PENDING, Status.APPROVED]))
        .options(selectinload(Request.steps), selectinload(Request.tasks))
        .order_by(Request.id.desc())
        .limit(limit)
    )
    return [r for r in session.scalars(query) if r.status == Status.PENDING or r.kind == Kind.ACCESS]


def waiting_for(*, session: Session, org: Organization, user: str, limit: int = 20) -> list[Request]:
    """Pending requests whose current step this user may decide (not their own)."""
    query = (
        select(Request)
        .where(Request.status == Status.PENDING, Request.requester != user)
        .options(selectinload(Request.steps))
        .order_by(Request.id)
        .limit(200)
    )
    found = []
    for request in session.scalars(query):
        step = request.current_step
        if step is not None and steps.acting_role(org, step, user) not in (None, "admin"):
            found.append(request)
    return found[:limit]
