"""Filing a flag: one report becomes a flag, or a +1 on the open flag for the same post, in one transaction
that does only what the reporter's answer needs (`store.file_report`: one round trip on PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import due
from bot.calendar import BusinessCalendar
from bot.config import Organization
from bot.errors import InvalidInput
from bot.flags import store
from bot.flags.classify import guess_kind, guess_priority
from bot.flags.ids import FlagIds
from bot.flags.models import Flag, FlagReport, Kind, Priority, Status, flag_ref
from bot.flags.routing import ROUTING
from bot.flags.urgency import urgency_of
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
    routed_to: tuple[Role, ...]
    routing_clause: str | None
    wakes: str = ""  # a new urgent flag: "on call" is paged (after hours) or "the moderators" alerted


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


def similar_open_flag(session: Session, note: str, exclude_id: int | None = None) -> int | None:
    """An open flag whose note reads like this one (another link to the same rumour), if any."""
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
    """File a report: what must be true before the reporter is answered, and nothing more. The report is
    stored, as a new flag or as a +1 on the open flag for the same post (the database's one-open-flag-per-post
    rule decides, in the same statement), and a job due now does the rest right after the commit
    (`jobs.after_filing`): the audit entry, the similar-note check, routing, the card."""
    chosen_kind = parse_kind(kind)
    chosen_priority = parse_priority(priority)
    text = clean_note(note, field=FlagIds.NOTE_BLOCK, required=note_required)
    if chosen_kind is Kind.STAFF_QUESTION and not url:
        checked_url = key = None
    else:
        checked_url = validate_url(url or "", field=FlagIds.URL_BLOCK)
        key = normalize_url(checked_url)
    # The guess is pure and takes microseconds; the receipt names the kind, and who is told because of it.
    guessed = chosen_kind is None
    final_kind = chosen_kind or guess_kind(text)
    flag = store.FlagRow(
        url=checked_url,
        open_url_key=key,
        platform=platform_of(checked_url) if checked_url else "Slack",
        kind=final_kind,
        priority=chosen_priority or guess_priority(text, final_kind),
        kind_guessed=guessed,
        created_by=reporter,
        created_at=now,
        deadline_at=calendar.add_business_hours(now, org.flag_deadline_business_hours),
    )
    # What the audit entry will say of the filing, as it was at this moment.
    facts = {
        "reporter": reporter,
        "source": source,
        "kind": flag.kind,
        "priority": flag.priority,
        "guessed": guessed,
    }
    stored = store.file_report(session, flag, reporter=reporter, note=text, source=source, payload=facts)
    due.start_after_commit(session, stored.job_id)
    routed = () if stored.merged or final_kind not in ROUTING else ROUTING[final_kind][0]
    return FlagReceipt(
        flag_id=stored.flag_id,
        ref=flag_ref(stored.flag_id),
        merged=stored.merged,
        reporter_count=stored.reporter_count,
        kind=Kind(stored.kind),
        priority=Priority(stored.priority),
        guessed=guessed and not stored.merged,
        deadline_at=stored.deadline_at,
        routed_to=routed,
        routing_clause=ROUTING[final_kind][1] if routed else None,
        wakes=_who_is_woken(calendar, now, stored, merged=stored.merged),
    )


def _who_is_woken(calendar: BusinessCalendar, now: datetime, stored: store.StoredReport, merged: bool) -> str:
    """What the flags.filed job will do about a new urgent flag, so the reporter knows help is coming."""
    if merged or urgency_of(Kind(stored.kind), Priority(stored.priority)) is None:
        return ""
    return "the moderators" if calendar.is_business_time(now) else "on call"
