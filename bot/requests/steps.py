"""Approval steps: which ones a request gets, who may decide the current one, and how to name them.

A step names roles. "director" on a request that names a director means that director (Taber 1.05(a));
otherwise anyone holding one of the step's roles may decide it, and admins may act as any approver.
"""

from __future__ import annotations

from datetime import datetime

from bot.config import Organization
from bot.errors import NotAuthorized
from bot.requests.models import Kind, Request, RequestStep, StepStatus
from bot.roles import ROLE_NAMES, Role

ROLE_TITLES = {
    "director": "Director",
    "cao": "CAO",
    "communications": "Communications",
    "it": "IT",
    "moderator": "Moderators",
}


def plan(org: Organization, kind: Kind, to_cao: bool, emergency_scene: bool = False) -> list[tuple[str, ...]]:
    """The roles of each step, in order: the organisation's configuration, or the CAO alone for
    candidate or campaign content (Taber 1.04(p)). A photo of an emergency scene also needs a director or
    the CAO, whoever else approves it (Westlock 8.2.1.2)."""
    if to_cao:
        return [("cao",)]
    planned = [tuple(roles) for roles in org.request_steps[kind.value]]
    if emergency_scene and not any(set(roles) <= {"director", "cao"} for roles in planned):
        planned.append(("director", "cao"))
    return planned


def make_steps(
    roles_per_step: list[tuple[str, ...]], director: str | None, now: datetime
) -> list[RequestStep]:
    steps = []
    for position, roles in enumerate(roles_per_step, start=1):
        steps.append(
            RequestStep(
                position=position,
                roles=",".join(roles),
                approver=director if "director" in roles else None,
                status=StepStatus.PENDING,
                started_at=now if position == 1 else None,
            )
        )
    return steps


def acting_role(org: Organization, step: RequestStep, actor: str) -> str | None:
    """The role in which `actor` may decide `step`, "admin" for an admin standing in, or None."""
    for role in step.role_list:
        if role == "director" and step.approver:
            if actor == step.approver:
                return role
        elif org.has_role(actor, role):
            return role
    return "admin" if org.has_role(actor, Role.ADMIN) else None


def describe(step: RequestStep, mention: bool = True) -> str:
    """Who decides the step, in words: "<@U…> (the director named on the request)", "the CAO"."""
    parts = []
    for role in step.role_list:
        if role == "director" and step.approver:
            parts.append(f"<@{step.approver}>" if mention else "the named director")
        else:
            parts.append(ROLE_NAMES[Role(role)])
    return " or ".join(parts)


def title(step: RequestStep) -> str:
    """A step's short name on the card: "Director", "Communications or Director"."""
    return " or ".join(ROLE_TITLES.get(role, role) for role in step.role_list)


def require_approver(org: Organization, request: Request, step: RequestStep, actor: str, verb: str) -> str:
    role = acting_role(org, step, actor)
    if role is None:
        raise NotAuthorized(
            f"Only {describe(step)} can {verb} step {step.position} of {request.ref}; admins may stand in. "
            "Nothing was changed."
        )
    return role


def approvers(org: Organization, step: RequestStep) -> list[str]:
    """Everyone who may decide the step (for reminders); the admins when nobody holds its roles."""
    people: dict[str, None] = {}
    for role in step.role_list:
        if role == "director" and step.approver:
            people.setdefault(step.approver, None)
        else:
            for user in org.users_with_role(role):
                people.setdefault(user, None)
    return list(people) or org.users_with_role(Role.ADMIN)
