"""Who hears about a flag at once, whatever the hour, and the clause that says so."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import audit
from bot.config import Organization
from bot.delivery import queue_message
from bot.flags import blocks
from bot.flags.models import ITEM, KIND_LABELS, Flag, Kind
from bot.roles import Role
from bot.slack.blocks import clip
from bot.slack.text import escape

ROUTING: dict[Kind, tuple[tuple[Role, ...], str, str]] = {
    Kind.COMPROMISED: (
        (Role.CAO, Role.IT, Role.COMMUNICATIONS),
        "Taber 1.06(c)",
        "Suspicions of a compromised account must be reported at once to the CAO, IT and "
        "Communications; IT changes the login and password to reclaim it (1.06(d)).",
    ),
    Kind.ELECTION: (
        (Role.CAO,),
        "Taber 1.04(p)",
        "Candidate content must be brought to the CAO immediately; the CAO informs the Chief "
        "Returning Officer.",
    ),
    Kind.MISINFORMATION: (
        (Role.DIRECTOR,),
        "Taber 1.04(o)",
        "A director responds to a misrepresentation or informs Communications, with respect and using facts.",
    ),
}


def route(session: Session, org: Organization, flag: Flag, now: datetime, note: str) -> tuple[Role, ...]:
    """Tell the roles the policy names for this kind of flag, by DM, once per flag and kind: a kind changed
    back and forth does not tell them again, while a new kind tells its own audience under its own clause.
    Returns the roles told."""
    already = (flag.routed_kinds or "").split()
    if flag.kind not in ROUTING or flag.kind in already:
        return ()
    flag.routed_kinds = " ".join([*already, str(flag.kind)])
    roles, clause, why = ROUTING[Kind(flag.kind)]
    people = org.users_with_role(*roles)
    label = KIND_LABELS[Kind(flag.kind)].text
    where = blocks.where(flag) if flag.url else "no link"
    text = (
        f":rotating_light: *{label}* reported by <@{flag.created_by}>: {flag.ref} ({where})\n"
        f">{clip(escape(note), 500)}\n_{clause}: {why}_"
    )
    for person in people:
        queue_message(session, now=now, dm_user=person, text=text)
    audit.record(
        session,
        at=now,
        actor=audit.SYSTEM_ACTOR,
        action="routed",
        item_type=ITEM,
        item_id=flag.id,
        roles=[role.value for role in roles],
        people=people,
        clause=clause,
    )
    return roles
