"""The on-call schedule as a service: who is on call now and next, and overrides (`/oncall cover`, `/oncall me`).
Each function is one transaction's worth of work on the session it is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot import audit
from bot.config import Organization
from bot.delivery import queue_message
from bot.errors import Conflict, InvalidInput, NotAuthorized
from bot.oncall.commands import parse_range
from bot.oncall.models import OVERRIDE, Override
from bot.oncall.rotation import Rotation, Shift
from bot.roles import Role, require_role
from bot.slack.text import slack_date

OVERRIDES_SHOWN = 5
OVERRIDE_LOCK = (
    7_330_001  # a PostgreSQL advisory lock: two overrides added at once cannot both pass the overlap check
)


@dataclass(frozen=True)
class OnCallView:
    now: Shift | None
    next: Shift | None
    chain: tuple[str, ...]  # who a page made now would go to, in order
    upcoming: tuple[Shift, ...]  # overrides that have not started yet


@dataclass(frozen=True)
class OverrideView:
    user: str
    starts_at: datetime
    ends_at: datetime
    created_by: str


def overrides_from(session: Session, moment: datetime, limit: int = 500) -> list[Override]:
    """The overrides still running or ahead at `moment`, soonest first."""
    query = select(Override).where(Override.ends_at > moment).order_by(Override.starts_at).limit(limit)
    return list(session.scalars(query))


def shift_now(session: Session, now: datetime, org: Organization) -> Shift | None:
    return Rotation(org).shift_at(now, overrides_from(session, now))


def who_is_on_call(*, session: Session, now: datetime, org: Organization) -> OnCallView:
    rotation = Rotation(org)
    overrides = overrides_from(session, now)
    current = rotation.shift_at(now, overrides)
    upcoming = tuple(
        Shift(o.user, o.starts_at, o.ends_at, True, rotation.rotation_person(o.starts_at))
        for o in overrides
        if o.starts_at > now
    )
    return OnCallView(
        now=current,
        next=rotation.next_shift(current, overrides) if current else None,
        chain=tuple(rotation.chain(current.user if current else None)),
        upcoming=upcoming[:OVERRIDES_SHOWN],
    )


def _who_takes_the_shift(org: Organization, actor: str, user: str | None) -> str:
    """`user` None (`/oncall me`): the actor, who must be in the rotation. Putting someone else on call
    (`/oncall cover`) is for Communications and admins, and only a rotation member can be put on call."""
    if user is None or (user == actor and actor in org.oncall_rotation):
        if actor not in org.oncall_rotation:
            raise NotAuthorized(
                "Only people in the on-call rotation can take a shift; ask Communications to add you "
                "to `[oncall] rotation` in organization.toml. Nothing was changed."
            )
        return actor
    require_role(
        org, actor, Role.COMMUNICATIONS, why="Taber 1.04(i): after-hours concerns go to Communications"
    )
    if user not in org.oncall_rotation:
        raise InvalidInput(
            f"<@{user}> is not in the on-call rotation, so they cannot be put on call. "
            "Rotation members are listed in `[oncall] rotation` in organization.toml."
        )
    return user


def _refuse_overlap(session: Session, starts: datetime, ends: datetime, actor: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OVERRIDE_LOCK})
    clash = session.scalar(
        select(Override)
        .where(Override.starts_at < ends, Override.ends_at > starts)
        .order_by(Override.starts_at)
    )
    if clash is not None:
        whose = "your own" if clash.user == actor else f"<@{clash.user}>'s"
        raise Conflict(
            f"That overlaps {whose} shift from {slack_date(clash.starts_at)} to "
            f"{slack_date(clash.ends_at)}. Nothing was changed; pick a range that does not overlap it."
        )


def add_override(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    actor: str,
    when: str,
    user: str | None = None,
) -> OverrideView:
    """Put `user` (or the actor, for `/oncall me`) on call for the range `when`, over the rotation."""
    user = _who_takes_the_shift(org, actor, user)
    starts, ends = parse_range(when, now, org.tz)
    _refuse_overlap(session, starts, ends, actor)
    override = Override(user=user, starts_at=starts, ends_at=ends, created_by=actor, created_at=now)
    session.add(override)
    session.flush()
    view = OverrideView(user, starts, ends, actor)
    told = (
        f"<@{actor}> put you on call from {slack_date(starts)} to {slack_date(ends)}. "
        "Urgent items after hours will page you by DM (Taber 1.04(i))."
    )
    _record(session, now, "override_added", override.id, view, told)
    return view


def cancel_override(
    *, session: Session, now: datetime, org: Organization, actor: str, user: str | None = None
) -> OverrideView:
    """End `user`'s (or the actor's own) current override now, or remove their next one; the rotation
    covers that time again. Ending someone else's is for Communications and admins, like putting them on."""
    user = _who_takes_the_shift(org, actor, user) if user not in (None, actor) else actor
    override = session.scalar(
        select(Override)
        .where(Override.user == user, Override.ends_at > now)
        .order_by(Override.starts_at)
        .with_for_update()
        .limit(1)
    )
    whose = "You have" if user == actor else f"<@{user}> has"
    if override is None:
        current = shift_now(session, now, org)
        if current is not None and current.user == user:
            who = "You are" if user == actor else f"<@{user}> is"
            raise InvalidInput(
                f"{who} on call this week by the rotation, not by a shift taken with `/oncall me`, so there is "
                "nothing to cancel. Someone else in the rotation can take over with `/oncall me <from> <to>`, "
                "or Communications can put them on with `/oncall cover @someone <from> <to>`."
            )
        raise InvalidInput(f"{whose} no shift now or later to cancel. `/oncall` shows who is on call.")
    view = OverrideView(user, override.starts_at, override.ends_at, actor)
    if override.starts_at <= now:
        override.ends_at = now  # the part already covered stays on record
    else:
        session.delete(override)
    told = (
        f"<@{actor}> took you off call for {slack_date(view.starts_at)} to {slack_date(view.ends_at)}; "
        "the usual rotation covers it."
    )
    _record(session, now, "override_cancelled", override.id, view, told)
    return view


def _record(
    session: Session, now: datetime, action: str, override_id: int, view: OverrideView, told: str
) -> None:
    """An override's audit event and, when someone else made the change, a DM to the person on call."""
    audit.record(
        session,
        at=now,
        actor=view.created_by,
        action=action,
        item_type=OVERRIDE,
        item_id=override_id,
        user=view.user,
        starts_at=view.starts_at.isoformat(),
        ends_at=view.ends_at.isoformat(),
    )
    if view.user != view.created_by:
        queue_message(session, now=now, dm_user=view.user, text=f":pager: {told}")
