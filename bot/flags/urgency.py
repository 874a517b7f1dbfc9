"""When a flag is urgent enough to wake someone (Taber 1.04(i), 1.04(r), 1.06(c)): by its kind or priority,
with the clause that says so."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import due
from bot.flags.models import ITEM, Flag, Kind, Priority

BECAME_URGENT = "flags.became_urgent"  # a job, due at once: alert or page as if filed urgent

AFTER_HOURS = (
    "Taber 1.04(i): after-hours concerns go to Communications when they cannot wait until business hours"
)
URGENT: dict[Kind | Priority, str] = {
    Kind.COMPROMISED: "Taber 1.06(c): a possibly compromised town account is reported at once",
    Priority.EMERGENCY: "Taber 1.04(r)(i): emergency information comes first",
    Priority.TIME_SENSITIVE: "Taber 1.04(r)(ii): time-sensitive information",
}


def urgency(flag: Flag) -> str | None:
    """The clause that makes this flag urgent, or None when it can wait for business hours."""
    return urgency_of(Kind(flag.kind), Priority(flag.priority))


def urgency_of(kind: Kind, priority: Priority) -> str | None:
    for reason in (kind, priority):
        if reason in URGENT:
            return URGENT[reason]
    return None


def schedule_if_newly_urgent(session: Session, now: datetime, flag: Flag, was: str | None) -> None:
    """After a kind or priority correction: a flag that was not urgent and now is gets its alert or page."""
    if was is None and urgency(flag) is not None:
        due.schedule(session, kind=BECAME_URGENT, due_at=now, now=now, item_type=ITEM, item_id=flag.id)
