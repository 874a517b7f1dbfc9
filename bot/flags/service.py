"""What can happen to a flag. Each function is one transaction's worth of work on the session it is given;
it checks the actor's role, changes state, writes an audit event and queues what Slack should show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot import audit
from bot.calendar import BusinessCalendar
from bot.config import Organization
from bot.delivery import queue_message, touch_card
from bot.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from bot.flags import transitions
from bot.flags.classify import guess_kind, guess_priority
from bot.flags.models import (
    KIND_LABELS,
    OUTCOME_LABELS,
    PRIORITY_LABELS,
    Flag,
    FlagReport,
    Kind,
    Outcome,
    Priority,
    Status,
    flag_ref,
)
from bot.flags.transitions import FlagAction
from bot.flags.urls import normalize_url, platform_of, validate_url
from bot.slack.text import escape, link

MAX_NOTE_LENGTH = 3000
SIMILAR_NOTE_SCORE = 80
SIMILAR_NOTE_MIN_LENGTH = 20
SIMILAR_SEARCH_LIMIT = 500
ITEM = "flag"

MODERATOR_ROLES = ("moderator", "admin")
# Who hears about a flag at once, whatever the hour, and the clause that says so.
ROUTING: dict[Kind, tuple[tuple[str, ...], str, str]] = {
    Kind.COMPROMISED: (
        ("cao", "it", "communications"),
        "Taber 1.06(c)",
        "Suspicions of a compromised account must be reported at once to the CAO, IT and "
        "Communications; IT changes the login and password to reclaim it (1.06(d)).",
    ),
    Kind.ELECTION: (
        ("cao",),
        "Taber 1.04(p)",
        "Candidate content must be brought to the CAO immediately; the CAO informs the Chief "
        "Returning Officer.",
    ),
    Kind.MISINFORMATION: (
        ("director",),
        "Taber 1.04(o)",
        "A director responds to a misrepresentation or informs Communications, with respect and using facts.",
    ),
}


@dataclass(frozen=True)
class FlagReceipt:
    """What the reporter is told after filing."""

    flag_id: int
    ref: str
    merged: bool
    reporter_count: int
    kind: Kind
    priority: Priority
    guessed: bool
    deadline_at: datetime
    similar_ref: str | None
    routed_to: tuple[str, ...]
    routing_clause: str | None


def clean_note(note: str | None, field: str | None = None, required: bool = True) -> str:
    text = (note or "").strip()
    if required and not text:
        raise InvalidInput("Please add a short note: what is it, and why does it need a moderator?", field)
    if len(text) > MAX_NOTE_LENGTH:
        raise InvalidInput(
            f"The note is {len(text):,} characters long; please keep it under {MAX_NOTE_LENGTH:,}.", field
        )
    return text


def parse_kind(value: str | None) -> Kind | None:
    try:
        return Kind(value) if value else None
    except ValueError:
        raise InvalidInput(f"“{escape(value)}” is not a kind of flag Flagpost knows.") from None


def parse_priority(value: str | None) -> Priority | None:
    try:
        return Priority(value) if value else None
    except ValueError:
        raise InvalidInput(f"“{escape(value)}” is not a priority Flagpost knows.") from None


def require_moderator(org: Organization, actor: str) -> None:
    if not org.has_role(actor, *MODERATOR_ROLES):
        raise NotAuthorized(
            "Only the town's authorized social-media moderators can do that (Westlock 3.3). "
            "Nothing was changed. If you should be one, ask your Flagpost admin to add you."
        )


def get_flag(session: Session, flag_id: int) -> Flag:
    flag = session.get(Flag, flag_id, options=[selectinload(Flag.reports)])
    if flag is None:
        raise NotFound(f"There is no flag {flag_ref(flag_id)}.")
    return flag


def _find_open_by_key(session: Session, key: str) -> Flag | None:
    return session.scalar(select(Flag).where(Flag.open_url_key == key))


def _similar_open_flag(session: Session, note: str, exclude_id: int | None = None) -> int | None:
    if len(note) < SIMILAR_NOTE_MIN_LENGTH:
        return None
    rows = session.execute(
        select(FlagReport.flag_id, FlagReport.note)
        .join(Flag, Flag.id == FlagReport.flag_id)
        .where(Flag.status != Status.RESOLVED)
        .order_by(FlagReport.id.desc())
        .limit(SIMILAR_SEARCH_LIMIT)
    ).all()
    choices = {index: row.note for index, row in enumerate(rows) if row.flag_id != exclude_id}
    best = process.extractOne(
        note, choices, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILAR_NOTE_SCORE, processor=str.lower
    )
    return rows[best[2]].flag_id if best else None


def _notify_reporters(
    session: Session, flag: Flag, now: datetime, text: str, skip: str | None = None
) -> None:
    for reporter in flag.reporters:
        if reporter != skip:
            queue_message(session, now=now, dm_user=reporter, text=text)


def _route(session: Session, org: Organization, flag: Flag, now: datetime, note: str) -> tuple[str, ...]:
    """Tell the roles the policy names, at once and by DM, whatever the hour."""
    if flag.kind not in ROUTING:
        return ()
    roles, clause, why = ROUTING[Kind(flag.kind)]
    people = org.users_with_role(*roles)
    label = KIND_LABELS[Kind(flag.kind)].text
    where = link(flag.url, flag.platform) if flag.url else "no link"
    text = (
        f":rotating_light: *{label}* reported by <@{flag.created_by}>: {flag.ref} ({where})\n"
        f">{escape(note)[:500]}\n_{clause}: {why}_"
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
        roles=list(roles),
        people=people,
        clause=clause,
    )
    return tuple(roles)


def file_flag(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    calendar: BusinessCalendar,
    reporter: str,
    url: str | None,
    note: str | None,
    kind: str | None = None,
    priority: str | None = None,
    source: str = "command",
    note_required: bool = True,
) -> FlagReceipt:
    """File a report. The same post already open gains a reporter instead of a second card."""
    chosen_kind = parse_kind(kind)
    chosen_priority = parse_priority(priority)
    text = clean_note(note, field="flag_note", required=note_required)
    if chosen_kind is Kind.STAFF_QUESTION and not url:
        checked_url = key = None
    else:
        checked_url = validate_url(url or "", field="flag_url")
        key = normalize_url(checked_url)

    if key is not None:
        existing = _find_open_by_key(session, key)
        if existing is not None:
            return _add_report(session, org, existing, now, reporter, text, checked_url, source)

    guessed = chosen_kind is None
    final_kind = chosen_kind or guess_kind(text)
    final_priority = chosen_priority or guess_priority(text, final_kind)
    flag = Flag(
        url=checked_url,
        open_url_key=key,
        platform=platform_of(checked_url) if checked_url else "Slack",
        kind=final_kind,
        priority=final_priority,
        kind_guessed=guessed,
        status=Status.OPEN,
        created_by=reporter,
        created_at=now,
        deadline_at=calendar.add_business_hours(now, org.flag_deadline_business_hours),
        similar_to_id=_similar_open_flag(session, text),
        version=1,
    )
    flag.reports.append(
        FlagReport(reporter=reporter, note=text, url=checked_url, source=source, reported_at=now)
    )
    session.add(flag)
    try:
        session.flush()
    except IntegrityError:
        # Someone filed the same post a moment ago: nothing else was written yet, so start over as a +1.
        session.rollback()
        existing = _find_open_by_key(session, key or "")
        if existing is None:
            raise
        return _add_report(session, org, existing, now, reporter, text, checked_url, source)

    audit.record(
        session,
        at=now,
        actor=reporter,
        action="filed",
        item_type=ITEM,
        item_id=flag.id,
        kind=flag.kind,
        priority=flag.priority,
        url=checked_url,
        source=source,
        guessed=guessed,
    )
    routed = _route(session, org, flag, now, text)
    touch_card(
        session, item_type=ITEM, item_id=flag.id, channel=org.channels["moderation"], now=now, new=True
    )
    similar = session.get(Flag, flag.similar_to_id) if flag.similar_to_id else None
    return FlagReceipt(
        flag_id=flag.id,
        ref=flag.ref,
        merged=False,
        reporter_count=1,
        kind=final_kind,
        priority=final_priority,
        guessed=guessed,
        deadline_at=flag.deadline_at,
        similar_ref=similar.ref if similar else None,
        routed_to=routed,
        routing_clause=ROUTING[final_kind][1] if routed else None,
    )


def _add_report(
    session: Session,
    org: Organization,
    flag: Flag,
    now: datetime,
    reporter: str,
    note: str,
    url: str | None,
    source: str,
) -> FlagReceipt:
    flag.reports.append(FlagReport(reporter=reporter, note=note, url=url, source=source, reported_at=now))
    flag.version += 1
    session.flush()
    audit.record(
        session,
        at=now,
        actor=reporter,
        action="reported_again",
        item_type=ITEM,
        item_id=flag.id,
        source=source,
        reporters=len(flag.reporters),
    )
    touch_card(session, item_type=ITEM, item_id=flag.id, channel=org.channels["moderation"], now=now)
    return FlagReceipt(
        flag_id=flag.id,
        ref=flag.ref,
        merged=True,
        reporter_count=len(flag.reporters),
        kind=Kind(flag.kind),
        priority=Priority(flag.priority),
        guessed=False,
        deadline_at=flag.deadline_at,
        similar_ref=None,
        routed_to=(),
        routing_clause=None,
    )


def _transition(session: Session, flag_id: int, action: FlagAction, values: dict[str, Any]) -> Flag:
    """Apply one transition atomically: the UPDATE only matches the version we checked, so of two moderators
    clicking at once exactly one wins, and the other is told why, from the row as it now is."""
    flag = get_flag(session, flag_id)
    target = transitions.check(flag, action)
    if target is not None:
        values = {"status": target, **values}
    result = session.execute(
        update(Flag)
        .where(Flag.id == flag_id, Flag.version == flag.version)
        .values(version=flag.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.expire_all()
        transitions.check(get_flag(session, flag_id), action)  # raises the refusal that fits the new state
        raise Conflict(f"{flag_ref(flag_id)} changed while you clicked; look at the card again.")
    session.expire(flag)
    return get_flag(session, flag_id)


def _changed(
    session: Session, org: Organization, flag: Flag, now: datetime, actor: str, action: str, **details: Any
) -> None:
    audit.record(session, at=now, actor=actor, action=action, item_type=ITEM, item_id=flag.id, **details)
    touch_card(session, item_type=ITEM, item_id=flag.id, channel=org.channels["moderation"], now=now)


def claim(*, session: Session, now: datetime, org: Organization, flag_id: int, actor: str) -> Flag:
    require_moderator(org, actor)
    flag = _transition(session, flag_id, FlagAction.CLAIM, {"assignee": actor, "claimed_at": now})
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


def release(*, session: Session, now: datetime, org: Organization, flag_id: int, actor: str) -> Flag:
    require_moderator(org, actor)
    current = get_flag(session, flag_id)
    if current.status == Status.CLAIMED and current.assignee != actor and not org.has_role(actor, "admin"):
        raise NotAuthorized(
            f"{current.ref} is claimed by <@{current.assignee}>; only they (or an admin) can release it."
        )
    flag = _transition(session, flag_id, FlagAction.RELEASE, {"assignee": None, "claimed_at": None})
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
) -> Flag:
    require_moderator(org, actor)
    try:
        chosen = Outcome(outcome)
    except ValueError:
        raise InvalidInput("Please choose what was done.", field="flag_outcome") from None
    text = clean_note(note, field="flag_resolution_note", required=False)
    flag = _transition(
        session,
        flag_id,
        FlagAction.RESOLVE,
        {
            "resolved_by": actor,
            "resolved_at": now,
            "outcome": chosen,
            "resolution_note": text or None,
            "open_url_key": None,
        },
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
        message += f"\n>{escape(text)[:1000]}"
    _notify_reporters(session, flag, now, message, skip=actor)
    return flag


def escalate(*, session: Session, now: datetime, org: Organization, flag_id: int, actor: str) -> Flag:
    """Bring it to the directors and the CAO for a decision (Westlock 3.3.3)."""
    require_moderator(org, actor)
    flag = _transition(session, flag_id, FlagAction.ESCALATE, {"escalated_by": actor, "escalated_at": now})
    people = [person for person in org.users_with_role("director", "cao") if person != actor]
    where = link(flag.url, flag.platform) if flag.url else "no link"
    first_note = flag.reports[0].note if flag.reports else ""
    for person in people:
        queue_message(
            session,
            now=now,
            dm_user=person,
            text=(
                f":arrow_double_up: <@{actor}> escalated {flag.ref} to you for a decision: "
                f"*{KIND_LABELS[Kind(flag.kind)].text}* ({where})\n>{escape(first_note)[:500]}\n"
                "_Westlock 3.3.3: moderators bring issues and potential crises to the CAO or designate._"
            ),
        )
    _changed(session, org, flag, now, actor, "escalated", to=people)
    return flag


def set_kind(
    *, session: Session, now: datetime, org: Organization, flag_id: int, actor: str, kind: str
) -> Flag:
    chosen = parse_kind(kind)
    assert chosen is not None
    flag = _edit(session, org, flag_id, actor, {"kind": chosen, "kind_guessed": False})
    _changed(session, org, flag, now, actor, "kind_changed", kind=chosen.value)
    _route(session, org, flag, now, flag.reports[0].note if flag.reports else "")
    return flag


def set_priority(
    *, session: Session, now: datetime, org: Organization, flag_id: int, actor: str, priority: str
) -> Flag:
    chosen = parse_priority(priority)
    assert chosen is not None
    flag = _edit(session, org, flag_id, actor, {"priority": chosen})
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


def _edit(session: Session, org: Organization, flag_id: int, actor: str, values: dict[str, Any]) -> Flag:
    """Moderators, and the people who reported the flag, may correct its kind and priority."""
    current = get_flag(session, flag_id)
    if actor not in current.reporters:
        require_moderator(org, actor)
    return _transition(session, flag_id, FlagAction.EDIT, values)


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


def flag_for_resolution(*, session: Session, flag_id: int) -> Flag:
    """The flag, if it can still be resolved (the outcome form is opened for it)."""
    flag = get_flag(session, flag_id)
    transitions.check(flag, FlagAction.RESOLVE)
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
    board = open_flags(session=session) if org.has_role(user, *MODERATOR_ROLES) else []
    return board, flags_reported_by(session=session, user=user)
