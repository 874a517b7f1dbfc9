"""Every status change a flag can make, in one place.

open ──claim──▶ claimed ──release──▶ open
open | claimed ──resolve──▶ resolved
open | claimed ──escalate──▶ (same status, escalated once)
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import Conflict
from bot.flags.models import Flag, Status


class FlagAction(StrEnum):
    CLAIM = "claim"
    RELEASE = "release"
    RESOLVE = "resolve"
    ESCALATE = "escalate"
    EDIT = "edit"


ALLOWED_FROM: dict[FlagAction, frozenset[Status]] = {
    FlagAction.CLAIM: frozenset({Status.OPEN}),
    FlagAction.RELEASE: frozenset({Status.CLAIMED}),
    FlagAction.RESOLVE: frozenset({Status.OPEN, Status.CLAIMED}),
    FlagAction.ESCALATE: frozenset({Status.OPEN, Status.CLAIMED}),
    FlagAction.EDIT: frozenset({Status.OPEN, Status.CLAIMED}),
}

TARGET: dict[FlagAction, Status | None] = {
    FlagAction.CLAIM: Status.CLAIMED,
    FlagAction.RELEASE: Status.OPEN,
    FlagAction.RESOLVE: Status.RESOLVED,
    FlagAction.ESCALATE: None,  # stays as it is
    FlagAction.EDIT: None,
}


def refusal(flag: Flag, action: FlagAction) -> str:
    """Why `action` cannot happen now, in the words a moderator needs."""
    if flag.status == Status.RESOLVED:
        return f"{flag.ref} is already resolved by <@{flag.resolved_by}>; nothing was changed."
    if action is FlagAction.CLAIM and flag.status == Status.CLAIMED:
        return f"{flag.ref} is already claimed by <@{flag.assignee}>."
    if action is FlagAction.RELEASE and flag.status == Status.OPEN:
        return f"{flag.ref} is not claimed by anyone, so there is nothing to release."
    if action is FlagAction.ESCALATE and flag.escalated_at is not None:
        return f"{flag.ref} was already escalated by <@{flag.escalated_by}>."
    return f"{flag.ref} cannot be {action.value}d while it is {flag.status}."


def check(flag: Flag, action: FlagAction) -> Status | None:
    """The status after `action`, or Conflict when the flag's status does not allow it."""
    if flag.status not in ALLOWED_FROM[action]:
        raise Conflict(refusal(flag, action))
    if action is FlagAction.ESCALATE and flag.escalated_at is not None:
        raise Conflict(refusal(flag, action))
    return TARGET[action]
