"""Filing a flag: one report becomes a flag, or a +1 on the open flag for the same post, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit
from bot.calendar import BusinessCalendar
from bot.config import Organization
from bot.delivery import touch_card
from bot.errors import InvalidInput
from bot.flags.classify import guess_kind, guess_priority
from bot.flags.ids import FlagIds
from bot.flags.models import ITEM, Flag, FlagReport, Kind, Priority, Status
from bot.flags.routing import ROUTING, route
from bot.flags.urls import normalize_url, platform_of, validate_url
from bot.roles import Role
from bot.slack.text import escape

MAX_NOTE_LENGTH = 3000
SIMILAR_NOTE_SCORE = 80
SIMILAR_NOTE_MIN_LENGTH = 20
SIMILAR_SEARCH_LIMIT = 500


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
    routed_to: tuple[Role, ...]
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
        raise InvalidInput(f"“{escape(value or '')}” is not a kind of flag Flagpost knows.") from None


def parse_priority(value: str | None) -> Priority | None:
    try:
        return Priority(value) if value else None
    except ValueError:
        raise InvalidInput(f"“{escape(value or '')}” is not a priority Flagpost knows.") from None


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
    text = clean_note(note, field=FlagIds.NOTE_BLOCK, required=note_required)
    if chosen_kind is Kind.STAFF_QUESTION and not url:
        checked_url = key = None
    else:
        checked_url = validate_url(url or "", field=FlagIds.URL_BLOCK)
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
    try:
        with session.begin_nested():  # the same post filed by someone else a moment ago: become a +1
            session.add(flag)
    except IntegrityError:
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
    routed = route(session, org, flag, now, text)
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
