"""Every status change a request and its steps can make, in one place.

pending ──approve (last step)──▶ approved ──expire (access)──▶ expired
pending ──approve (a step)──▶ pending (the next step is current)
pending ──deny──▶ denied            pending ──cancel──▶ cancelled
approved (access) ──extend──▶ approved (a later end date)
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import Conflict
from bot.requests.models import Kind, Request, RequestStep, Status, StepStatus
from bot.slack.text import slack_date


class RequestAction(StrEnum):
    APPROVE = "approve"
    DENY = "deny"
    CANCEL = "cancel"
    EXPIRE = "expire"
    EXTEND = "extend"


ALLOWED_FROM: dict[RequestAction, frozenset[Status]] = {
    RequestAction.APPROVE: frozenset({Status.PENDING}),
    RequestAction.DENY: frozenset({Status.PENDING}),
    RequestAction.CANCEL: frozenset({Status.PENDING}),
    RequestAction.EXPIRE: frozenset({Status.APPROVED}),
    RequestAction.EXTEND: frozenset({Status.APPROVED}),
}

STEP_TARGET: dict[RequestAction, StepStatus] = {
    RequestAction.APPROVE: StepStatus.APPROVED,
    RequestAction.DENY: StepStatus.DENIED,
}


def target(request: Request, action: RequestAction, step: RequestStep | None = None) -> Status:
    """The request's status after `action` (an approval keeps it pending until its last step)."""
    if action is RequestAction.APPROVE:
        last = step is not None and step.position == max(s.position for s in request.steps)
        return Status.APPROVED if last else Status.PENDING
    return {
        RequestAction.DENY: Status.DENIED,
        RequestAction.CANCEL: Status.CANCELLED,
        RequestAction.EXPIRE: Status.EXPIRED,
        RequestAction.EXTEND: Status.APPROVED,
    }[action]


def _when(moment: object) -> str:
    return slack_date(moment) if moment is not None else "earlier"  # type: ignore[arg-type]


def refusal(request: Request, action: RequestAction) -> str:
    """Why `action` cannot happen now, in the words the person who clicked needs."""
    status = Status(request.status)
    if status is Status.CANCELLED:
        who = f"<@{request.cancelled_by}>"
        return f"{request.ref} was cancelled by {who} {_when(request.decided_at)}; nothing was changed."
    if status is Status.DENIED:
        denied = next((s for s in request.steps if s.status == StepStatus.DENIED), None)
        who = f" by <@{denied.decided_by}>" if denied else ""
        return f"{request.ref} was already denied{who} {_when(request.decided_at)}; nothing was changed."
    if status is Status.APPROVED and action in (
        RequestAction.APPROVE,
        RequestAction.DENY,
        RequestAction.CANCEL,
    ):
        return f"{request.ref} was already approved {_when(request.decided_at)}; nothing was changed."
    if status is Status.EXPIRED:
        return f"{request.ref} has expired; nothing was changed."
    if action is RequestAction.EXTEND and request.kind != Kind.ACCESS:
        return f"{request.ref} is not an access grant, so there is nothing to extend."
    return f"{request.ref} can't be {action.value}d while it is {status.value}."


def check(request: Request, action: RequestAction) -> None:
    """Conflict, in plain words, when the request's status does not allow `action`."""
    if request.status not in ALLOWED_FROM[action]:
        raise Conflict(refusal(request, action))
    if action in (RequestAction.EXPIRE, RequestAction.EXTEND) and request.kind != Kind.ACCESS:
        raise Conflict(refusal(request, action))


def check_step(request: Request, step: RequestStep) -> None:
    """A decision on `step` is possible: it is still undecided, and it is the current one. A click sent
    with a card drawn before the step was decided is told who decided it, and when."""
    if step.status in (StepStatus.APPROVED, StepStatus.DENIED):
        verb = "approved" if step.status == StepStatus.APPROVED else "denied"
        raise Conflict(
            f"Step {step.position} of {request.ref} was already {verb} by <@{step.decided_by}> "
            f"{_when(step.decided_at)}. Nothing was changed."
        )
    if request.status != Status.PENDING or step.status != StepStatus.PENDING:
        raise Conflict(refusal(request, RequestAction.APPROVE))
    current = request.current_step
    if current is not None and current.position != step.position:
        raise Conflict(
            f"Step {step.position} of {request.ref} waits for step {current.position} to be decided first."
        )
