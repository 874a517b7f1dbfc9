"""What moderators do to a flag. Each function is one transaction's worth of work on the session it is given:
it checks the actor's role, changes state through the transitions table, writes an audit event and queues what
Slack should show. Filing is in `intake`; who is told at once is in `routing`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from bot import audit
from bot.config import Organization
from bot.db import compare_and_set
from bot.delivery import queue_message, touch_card
from bot.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from bot.flags import blocks, transitions
from bot.flags.ids import FlagIds
from bot.flags.intake import clean_note, parse_kind, parse_priority
from bot.flags.models import (
    ITEM,
    KIND_LABELS,
    OUTCOME_LABELS,
    PRIORITY_LABELS,
    Flag,
    FlagReport,
    Kind,
    Outcome,
    Status,
    flag_ref,
)
from bot.flags.routing import route
from bot.flags.transitions import FlagAction
from bot.flags.urgency import schedule_if_newly_urgent, urgency
from bot.oncall import paging
from bot.roles import Role, has_role, require_role
from bot.slack.blocks import clip
from bot.slack.text import escape

MODERATORS = (Role.MODERATOR,)  # and admins, who may do anything a moderator may
MODERATOR_WHY = "Westlock 3.3"


def require_moderator(org: Organization, actor: str) -> None:
    require_role(org, actor, *MODERATORS, why=MODERATOR_WHY)


def get_flag(session: Session, flag_id: int) -> Flag:
    flag = session.get(Flag, flag_id, options=[selectinload(Flag.reports)])
    if flag is None:
        raise NotFound(f"There is no flag {flag_ref(flag_id)}.")
    return flag


def _notify_reporters(
    session: Session, flag: Flag, now: datetime, text: str, skip: str | None = None
) -> None:
    for reporter in flag.reporters:
        if reporter != skip:
            queue_message(session, now=now, dm_user=reporter, text=text)


def require_owner(org: Organization, flag: Flag, actor: str) -> None:
    """One rule for Release and Resolve: a claimed flag is in its owner's hands, so only the moderator who
    claimed it (or an admin) may release or resolve it. An open flag any moderator may resolve."""
    if flag.status == Status.CLAIMED and flag.assignee != actor and not org.has_role(actor, Role.ADMIN):
        raise NotAuthorized(
            f"{flag.ref} is claimed by <@{flag.assignee}>; only they (or an admin) can release or resolve it."
        )


def _transition(
    session: Session,
    flag_id: int,
    version: int | None,
    action: FlagAction,
    values: dict[str, Any],
    allowed: Callable[[Flag], None] | None = None,
) -> Flag:
    """Apply one transition atomically: the UPDATE only matches the version we checked, so of two moderators
    clicking at once exactly one wins, and the other is told why, from the row as it now is. A click on a
    card drawn before the latest change (`version`) is refused the same way. `allowed` checks the actor
    against the very row the UPDATE matches."""
    flag = get_flag(session, flag_id)
    target = transitions.check(flag, action)
    if allowed is not None:
        allowed(flag)
    if version is not None and version != flag.version:
        raise Conflict(
            f"{flag.ref} changed after this card was drawn; look at the updated card and try again."
        )
    if target is not None:
        values = {"status": target, **values}
    if not compare_and_set(session, Flag, flag_id, flag.version, **values):
        session.expire_all()
        transitions.check(get_flag(session, flag_id), action)  # raises the refusal that fits the new state
        raise Conflict(f"{flag_ref(flag_id)} changed while you clicked; look at the card again.")
    # The row is now exactly what the UPDATE that matched this version wrote: say so to the session instead
    # of reading the flag and its reports again (two queries fewer on every click).
    for key, value in {**values, "version": flag.version + 1}.items():
        set_committed_value(flag, key, value)
    return flag


def _changed(
    session: Session, org: Organization, flag: Flag, now: datetime, actor: str, action: str, **details: Any
) -> None:
    audit.record(session, at=now, actor=actor, action=action, item_type=ITEM, item_id=flag.id, **details)
    touch_card(session, item_type=ITEM, item_id=flag.id, channel=org.channels["moderation"], now=now)


def claim(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    flag_id: int,
    actor: str,
    version: int | None = None,
) -> Flag:
    require_moderator(org, actor)
    flag = _transition(session, flag_id, version, FlagAction.CLAIM, {"assignee": actor, "claimed_at": now})
    paging.stop_for_item(
        session=session, now=now, item_type=ITEM, item_id=flag.id, actor=actor, taken="claimed"
    )
    _changed(session, org, flag, now, actor, "claimed")
    _notify_reporters(
        session,
        flag,
        now,
        f"<@{actor}> is handling your flag {flag.ref} "
        f"({escape(flag.url or KIND_LABELS[Kind(flag.kind)].text)}). Thank you for bringing it in.",
        skip=actor,
    )
    return flag


def release(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    flag_id: int,
    actor: str,
    version: int | None = None,
) -> Flag:
    require_moderator(org, actor)
    flag = _transition(
        session,
        flag_id,
        version,
        FlagAction.RELEASE,
        {"assignee": None, "claimed_at": None},
        allowed=lambda current: require_owner(org, current, actor),
    )
    _changed(session, org, flag, now, actor, "released")
    return flag


def resolve(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    flag_id: int,
    actor: str,
    outcome: str,
    note: str | None = None,
    version: int | None = None,
) -> Flag:
    require_moderator(org, actor)
    try:
        chosen = Outcome(outcome)
    except ValueError:
        raise InvalidInput("Please choose what was done.", field=FlagIds.OUTCOME_BLOCK) from None
    text = clean_note(note, field=FlagIds.RESOLUTION_NOTE_BLOCK, required=False)
    flag = _transition(
        session,
        flag_id,
        version,
        FlagAction.RESOLVE,
        {
            "resolved_by": actor,
            "resolved_at": now,
            "outcome": chosen,
            "resolution_note": text or None,
            "open_url_key": None,
        },
        allowed=lambda current: require_owner(org, current, actor),
    )
    paging.stop_for_item(
        session=session, now=now, item_type=ITEM, item_id=flag.id, actor=actor, taken="resolved"
    )
    label = OUTCOME_LABELS[chosen]
    _changed(
        session,
        org,
        flag,
        now,
        actor,
        "resolved",
        outcome=chosen.value,
        clause=label.clause or None,
        note=text or None,
    )
    message = f"Your flag {flag.ref} is resolved by <@{actor}>: *{label.text}*."
    if text:
        message += f"\n>{clip(escape(text), 1000)}"
    _notify_reporters(session, flag, now, message, skip=actor)
    return flag


def escalate(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    flag_id: int,
    actor: str,
    version: int | None = None,
) -> Flag:
    """Bring it to the directors and the CAO for a decision (Westlock 3.3.3)."""
    require_moderator(org, actor)
    flag = _transition(
        session, flag_id, version, FlagAction.ESCALATE, {"escalated_by": actor, "escalated_at": now}
    )
    people = [person for person in org.users_with_role(Role.DIRECTOR, Role.CAO) if person != actor]
    where = blocks.where(flag) if flag.url else "no link"
    first_note = flag.reports[0].note if flag.reports else ""
    for person in people:
        queue_message(
            session,
            now=now,
            dm_user=person,
            text=(
                f":arrow_double_up: <@{actor}> escalated {flag.ref} to you for a decision: "
                f"*{KIND_LABELS[Kind(flag.kind)].text}* ({where})\n>{clip(escape(first_note), 500)}\n"
                "_Westlock 3.3.3: moderators bring issues and potential crises to the CAO or designate._"
            ),
        )
    _changed(session, org, flag, now, actor, "escalated", to=people)
    return flag


def set_kind(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    flag_id: int,
    actor: str,
    kind: str,
    version: int | None = None,
) -> Flag:
    chosen = parse_kind(kind)
    if chosen is None:
        raise InvalidInput("Please choose a kind.")
    was = urgency(get_flag(session, flag_id))
    flag = _edit(session, org, flag_id, version, actor, {"kind": chosen, "kind_guessed": False})
    schedule_if_newly_urgent(session, now, flag, was)
    _changed(session, org, flag, now, actor, "kind_changed", kind=chosen.value)
    route(session, org, flag, now, flag.reports[0].note if flag.reports else "")
    return flag


def set_priority(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    flag_id: int,
    actor: str,
    priority: str,
    version: int | None = None,
) -> Flag:
    chosen = parse_priority(priority)
    if chosen is None:
        raise InvalidInput("Please choose a priority.")
    was = urgency(get_flag(session, flag_id))
    flag = _edit(session, org, flag_id, version, actor, {"priority": chosen})
    schedule_if_newly_urgent(session, now, flag, was)
    _changed(
        session,
        org,
        flag,
        now,
        actor,
        "priority_changed",
        priority=chosen.value,
        label=PRIORITY_LABELS[chosen],
    )
    return flag


def _edit(
    session: Session, org: Organization, flag_id: int, version: int | None, actor: str, values: dict[str, Any]
) -> Flag:
    """Moderators, and the people who reported the flag, may correct its kind and priority."""
    current = get_flag(session, flag_id)
    if actor not in current.reporters:
        require_moderator(org, actor)
    return _transition(session, flag_id, version, FlagAction.EDIT, values)


def open_flags(*, session: Session, limit: int = 50) -> list[Flag]:
    """Everything not yet resolved, the nearest deadline first."""
    return list(
        session.scalars(
            select(Flag)
            .where(Flag.status != Status.RESOLVED)
            .options(selectinload(Flag.reports))
            .order_by(Flag.deadline_at, Flag.id)
            .limit(limit)
        )
    )


def flag_for_resolution(*, session: Session, org: Organization, flag_id: int, actor: str) -> Flag:
    """The flag, if this actor may resolve it now (the outcome form is opened for it)."""
    require_moderator(org, actor)
    flag = get_flag(session, flag_id)
    transitions.check(flag, FlagAction.RESOLVE)
    require_owner(org, flag, actor)
    return flag


def flags_reported_by(*, session: Session, user: str, limit: int = 10) -> list[Flag]:
    query = (
        select(Flag)
        .join(FlagReport, FlagReport.flag_id == Flag.id)
        .where(FlagReport.reporter == user)
        .options(selectinload(Flag.reports))
        .order_by(Flag.id.desc())
        .distinct()
        .limit(limit)
    )
    return list(session.scalars(query))


def home_data(*, session: Session, org: Organization, user: str) -> tuple[list[Flag], list[Flag]]:
    """The open board (for moderators) and the user's own flags, for App Home."""
    board = open_flags(session=session) if has_role(org, user, *MODERATORS) else []
    return board, flags_reported_by(session=session, user=user)
