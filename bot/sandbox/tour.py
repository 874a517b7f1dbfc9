"""The guided tour: the story a newcomer walks, as data, each step ticked off by the audit-trail entry it makes.

A step whose domain is not built yet (its command is unknown to the bot) shows greyed out, "coming with …";
it lights up by itself once the domain lands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit import AuditEvent
from bot.config import Organization
from bot.sandbox import world
from bot.slack.testkit import payloads


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    who: str  # a role of organization.toml, "employee" (no role) or "oncall" (first in the rotation)
    where: str  # a channel key of organization.toml, "general", "dm" (the DM with Flagpost) or "home"
    do: str  # what to do, in mrkdwn
    item_type: str  # the audit-trail entry that ticks the step off
    action: str
    details: dict[str, Any] = field(default_factory=dict)  # …whose details include these
    command: str | None = None  # the step needs the bot to handle this command
    coming_with: str = ""  # the feature that brings the step, while the command is unknown


REQUESTS = "requests and approvals"
PAGING = "after-hours paging"
STEPS: tuple[Step, ...] = (
    Step(
        "flag", "Flag a post", "employee", "general",
        "Type `/flag https://www.facebook.com/prairiecrossing/posts/1 People are asking when the pool "
        "reopens` and press Enter.",
        "flag", "filed", command="/flag",
    ),
    Step(
        "claim", "Claim the flag", "moderator", "moderation",
        "The flag is a card in *#moderation*. Click *Claim*: the card shows who has it.",
        "flag", "claimed",
    ),
    Step(
        "resolve", "Resolve it", "moderator", "moderation",
        "Click *Resolve…* on the card, choose what was done, then *Resolve*.",
        "flag", "resolved",
    ),
    Step(
        "request", "Request access", "employee", "general",
        "Type `/request access` and fill in the form: what, why, and for how long.",
        "request", "filed", command="/request", coming_with=REQUESTS,
    ),
    Step(
        "director", "Approve as the director", "director", "approvals",
        "The request is a card in *#approvals*. Click *Approve*.",
        "request", "approved", details={"role": "director"}, command="/request", coming_with=REQUESTS,
    ),
    Step(
        "cao", "Approve as the CAO", "cao", "approvals",
        "Click *Approve* on the same card: the second and last approval.",
        "request", "approved", details={"role": "cao"}, command="/request", coming_with=REQUESTS,
    ),
    Step(
        "page", "An emergency after hours", "employee", "general",
        "Move the sandbox clock to *19:00* (above this tour), then type `/flag` alone and file a post "
        "with priority *Emergency*: the on-call contact is paged.",
        "page", "paged", command="/oncall", coming_with=PAGING,
    ),
    Step(
        "acknowledge", "Acknowledge the page", "oncall", "dm",
        "Open your messages from Flagpost and click *Acknowledge*.",
        "page", "acknowledged", command="/oncall", coming_with=PAGING,
    ),
    Step(
        "policy", "Ask a policy question", "employee", "general",
        "Type `/policy can I post photos from the fire on my own Facebook?` The answer quotes the clause.",
        "policy_question", "asked", command="/policy",
    ),
)  # fmt: skip


def handles_command(app: App, command: str) -> bool:
    """Whether one of the bot's listeners would take the command, asked of Bolt without sending it."""
    listeners = getattr(app, "_listeners", None)
    if listeners is None:  # a Bolt that hides its listeners: let the bot's answer tell
        return True
    body, content_type = payloads.slash_command(command, "", "U0PROBE")
    request = BoltRequest(body=body, headers={"content-type": [content_type]})
    response = BoltResponse(status=200)
    return any(listener.matches(req=request, resp=response) for listener in listeners)


def audit_entries(*, session: Session, item_types: Iterable[str]) -> list[tuple[str, str, dict[str, Any]]]:
    rows = session.execute(
        select(AuditEvent.item_type, AuditEvent.action, AuditEvent.details).where(
            AuditEvent.item_type.in_(list(item_types))
        )
    )
    return [(item_type, action, details or {}) for item_type, action, details in rows]


def is_done(step: Step, entries: Iterable[tuple[str, str, dict[str, Any]]]) -> bool:
    return any(
        item_type == step.item_type
        and action == step.action
        and all(details.get(key) == value for key, value in step.details.items())
        for item_type, action, details in entries
    )


def where_to(org: Organization, step: Step, user: str | None) -> str:
    """The channel id the page opens for the step ("home" for App Home)."""
    if step.where == "general":
        return world.GENERAL_CHANNEL
    if step.where == "dm":
        return f"D{user}" if user else ""
    if step.where == "home":
        return "home"
    return org.channels.get(step.where, "")


def progress(
    org: Organization,
    entries: list[tuple[str, str, dict[str, Any]]],
    knows: Callable[[str], bool],
    steps: Iterable[Step] = STEPS,
    on_call_now: str | None = None,
) -> list[dict[str, Any]]:
    """Each step for the page: done, available, who plays it, where to go."""
    shown = []
    for step in steps:
        user = world.person_for(org, step.who, on_call_now)
        available = step.command is None or knows(step.command)
        shown.append(
            {
                "key": step.key,
                "label": step.label,
                "do": step.do,
                "who": {"role": step.who, "id": user, "name": org.name_of(user) if user else None},
                "channel": where_to(org, step, user),
                "done": is_done(step, entries),
                "available": available,
                "coming_with": "" if available else step.coming_with,
            }
        )
    return shown
