"""The flags domain's timed work, each a `due_at` row run once across replicas:

- `flags.intake`, due the moment a flag is filed and started right after that commit: what the reporter's
  answer did not wait for (the audit entry, the similar-note check, routing, the card); it schedules
- `flags.filed`, due at once, done at the next tick (the card is posted by then): an urgent flag pages on
  call after hours, or @-mentions the moderators in business hours; and the deadline reminders are scheduled;
- `flags.reported_again`, the same for a +1: the audit entry, and the card redrawn;
- `flags.became_urgent`, due at once when a correction makes an unclaimed flag urgent: the same alert or page;
- `flags.deadline_reminder` at 75% of the deadline (in business time), threaded on the card, if unclaimed;
- `flags.overdue` at the deadline: the owner and the directors are told once, and the card shows it;
- `flags.daily_review` at the start of each business day (Taber 1.04(q)): the open items, oldest first.

Every handler re-reads the flag: a flag claimed or resolved since is not nagged about.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot import audit, due
from bot.calendar import BusinessCalendar
from bot.config import Organization
from bot.delivery import SlackCard, queue_message, touch_card
from bot.flags.blocks import LINE_LINK_BUDGET, flag_line, lines_in_sections, priority_mark, where
from bot.flags.intake import similar_open_flag
from bot.flags.models import ITEM, KIND_LABELS, PRIORITY_LABELS, Flag, Kind, Priority, Status
from bot.flags.paging import page_flag
from bot.flags.routing import route
from bot.flags.store import INTAKE, REPORTED_AGAIN
from bot.flags.urgency import AFTER_HOURS, BECAME_URGENT, urgency
from bot.oncall.paging import NobodyToPage
from bot.roles import Role
from bot.slack import blocks as bk
from bot.slack.text import escape, slack_date

FILED = "flags.filed"  # scheduled by earlier versions; `after_filing` now ends with the same work
REMIND = "flags.deadline_reminder"
OVERDUE = "flags.overdue"
REVIEW = "flags.daily_review"
REMIND_AT = 0.75  # of the deadline, in business hours
REVIEW_GRACE = timedelta(hours=1)  # a bot started later than this after opening reviews the next day instead
REVIEW_SHOWN = 40


def _flag(session: Session, job: due.Job) -> Flag | None:
    query = select(Flag).where(Flag.id == (job.item_id or 0)).options(selectinload(Flag.reports))
    return session.scalar(query)


def _card_ts(session: Session, flag_id: int) -> str | None:
    return session.scalar(
        select(SlackCard.ts).where(SlackCard.item_type == ITEM, SlackCard.item_id == flag_id)
    )


def _on_card(session: Session, now: datetime, org: Organization, flag: Flag, text: str) -> None:
    """Say it in the card's thread (in the channel itself if the card is not posted yet)."""
    queue_message(
        session, now=now, channel=org.channels["moderation"], text=text, thread_ts=_card_ts(session, flag.id)
    )


def on_filed(
    *, session: Session, now: datetime, org: Organization, calendar: BusinessCalendar, job: due.Job, **_: Any
) -> None:
    flag = _flag(session, job)
    if flag is None or flag.status == Status.RESOLVED:
        return
    reminder_at = calendar.add_business_hours(flag.created_at, REMIND_AT * org.flag_deadline_business_hours)
    for kind, due_at in ((REMIND, reminder_at), (OVERDUE, flag.deadline_at)):
        due.schedule(
            session,
            kind=kind,
            due_at=due_at,
            now=now,
            item_type=ITEM,
            item_id=flag.id,
            key=f"{kind}:{flag.id}",
        )
    _alert_or_page(session, now, org, calendar, flag)


def on_became_urgent(
    *, session: Session, now: datetime, org: Organization, calendar: BusinessCalendar, job: due.Job, **_: Any
) -> None:
    """A flag corrected to an urgent kind or priority is handled as if it had been filed so, while nobody
    has claimed it yet."""
    flag = _flag(session, job)
    if flag is not None and flag.status == Status.OPEN:
        _alert_or_page(session, now, org, calendar, flag)


def _alert_or_page(
    session: Session, now: datetime, org: Organization, calendar: BusinessCalendar, flag: Flag
) -> None:
    clause = urgency(flag)
    if clause is None:
        return
    if calendar.is_business_time(now):
        _alert_moderators(session, now, org, flag, clause, "")
        return
    try:
        page_flag(session, now, org, flag, f"{clause}. {AFTER_HOURS}", audit.SYSTEM_ACTOR)
    except NobodyToPage:
        _alert_moderators(
            session, now, org, flag, clause, " Nobody is on call to page (`[oncall] rotation`)."
        )


def after_filing(
    *, session: Session, now: datetime, org: Organization, calendar: BusinessCalendar, job: due.Job, **_: Any
) -> None:
    """What follows the answer to a new flag (`intake.file_flag`), at once and in one transaction: the audit
    entry, the similar-note check, the audiences the policy names (routing), the card; and `flags.filed`
    (`on_filed`: deadline reminders, and a page or an @-mention if it is urgent) for the next tick."""
    flag = _flag(session, job)
    if flag is None:
        return
    facts = job.payload
    audit.record(
        session,
        at=flag.created_at,
        actor=flag.created_by,
        action="filed",
        item_type=ITEM,
        item_id=flag.id,
        kind=facts.get("kind", flag.kind),
        priority=facts.get("priority", flag.priority),
        url=flag.url,
        source=facts.get("source"),
        guessed=facts.get("guessed", flag.kind_guessed),
    )
    note = flag.reports[0].note if flag.reports else ""
    flag.similar_to_id = similar_open_flag(session, note, exclude_id=flag.id)
    route(session, org, flag, now, note)
    touch_card(session, item_type=ITEM, item_id=flag.id, channel=org.channels["moderation"], now=now)
    # At the next tick, as before: by then the card is posted, so an urgent flag's alert is in its thread.
    due.schedule(session, kind=FILED, due_at=now, now=now, item_type=ITEM, item_id=flag.id)


def after_report(*, session: Session, now: datetime, org: Organization, job: due.Job, **_: Any) -> None:
    """What follows the answer to a +1: the audit entry, and the card shows the new reporter."""
    flag = _flag(session, job)
    if flag is None:
        return
    audit.record(
        session,
        at=job.due_at,
        actor=job.payload.get("reporter", audit.SYSTEM_ACTOR),
        action="reported_again",
        item_type=ITEM,
        item_id=flag.id,
        source=job.payload.get("source"),
        reporters=len(flag.reporters),
    )
    touch_card(session, item_type=ITEM, item_id=flag.id, channel=org.channels["moderation"], now=now)


def _alert_moderators(
    session: Session, now: datetime, org: Organization, flag: Flag, clause: str, extra: str
) -> None:
    """In business hours the moderators are watching: @-mention them on the card instead of paging."""
    moderators = org.users_with_role(Role.MODERATOR)
    mentions = " ".join(f"<@{user}>" for user in moderators) or "Moderators"
    priority = PRIORITY_LABELS[Priority(flag.priority)]
    _on_card(
        session,
        now,
        org,
        flag,
        f"{mentions} :rotating_light: {flag.ref} needs a moderator now ({priority}). _{clause}._{extra}",
    )
    audit.record(
        session,
        at=now,
        actor=audit.SYSTEM_ACTOR,
        action="moderators_alerted",
        item_type=ITEM,
        item_id=flag.id,
        people=moderators,
        clause=clause,
    )


def remind(*, session: Session, now: datetime, org: Organization, job: due.Job, **_: Any) -> None:
    """At 75% of the deadline, an unclaimed flag gets one reminder in its card's thread."""
    flag = _flag(session, job)
    if flag is None or flag.status != Status.OPEN or now >= flag.deadline_at:
        return  # (past the deadline, after downtime: the overdue job says so instead)
    _on_card(
        session,
        now,
        org,
        flag,
        f":hourglass_flowing_sand: {flag.ref} is still unclaimed; its deadline is {slack_date(flag.deadline_at)}. "
        "Claim it on the card if you are taking it.",
    )
    audit.record(
        session, at=now, actor=audit.SYSTEM_ACTOR, action="deadline_reminder", item_type=ITEM, item_id=flag.id
    )


def overdue(*, session: Session, now: datetime, org: Organization, job: due.Job, **_: Any) -> None:
    """Past its deadline and not resolved: its owner (if any) and the directors hear once, by DM, and the card
    is redrawn to show it overdue. The channel is not nagged."""
    flag = _flag(session, job)
    if flag is None or flag.status == Status.RESOLVED:
        return
    owner = flag.assignee if flag.status == Status.CLAIMED else None
    people = list(dict.fromkeys(([owner] if owner else []) + org.users_with_role(Role.DIRECTOR)))
    held = f"claimed by <@{owner}>" if owner else "not claimed by anyone"
    for person in people:
        queue_message(
            session,
            now=now,
            dm_user=person,
            text=(
                f":warning: {flag.ref} is past its deadline ({slack_date(flag.deadline_at)}) and still open, "
                f"{held}. {flag_line(flag)}"
            ),
        )
    touch_card(session, item_type=ITEM, item_id=flag.id, channel=org.channels["moderation"], now=now)
    audit.record(
        session,
        at=now,
        actor=audit.SYSTEM_ACTOR,
        action="overdue",
        item_type=ITEM,
        item_id=flag.id,
        told=people,
    )


# ----- the daily review


def schedule_daily_review(*, session: Session, now: datetime, calendar: BusinessCalendar) -> None:
    """A tick: make sure the next business day's review exists (the key makes replicas agree on one)."""
    start = calendar.business_day_start(now)
    if now - start > REVIEW_GRACE:  # started long after opening: today's review is not "the start of the day"
        window = calendar.window(calendar.local_date(start))
        start = calendar.business_day_start(window[1] if window else now)
    day = calendar.local_date(start).isoformat()
    due.schedule(session, kind=REVIEW, due_at=start, now=now, key=f"{REVIEW}:{day}")


def review_message(flags: list[Flag], now: datetime, total: int) -> tuple[str, list[bk.Block]]:
    """One message: every open item, oldest first, with its owner and deadline (pure)."""
    title = f":clipboard: Daily review (Taber 1.04(q)): {total} open item{'s' if total != 1 else ''}, oldest first"
    lines = []
    for flag in flags:
        owner = f"<@{flag.assignee}>" if flag.status == Status.CLAIMED else "_unclaimed_"
        late = " · :warning: *overdue*" if flag.deadline_at <= now else ""
        label = escape(KIND_LABELS[Kind(flag.kind)].text)
        place = where(flag, LINE_LINK_BUDGET)  # the line is clipped at 1,000: its link must fit whole
        mark = priority_mark(flag)
        lines.append(
            f"• *{flag.ref}* {label}{mark} · {place} · {owner} · due {slack_date(flag.deadline_at)}{late}"
        )
    blocks: list[bk.Block] = [bk.section(f"*{title}*")]
    blocks += lines_in_sections(lines) if lines else [bk.section("Nothing is open. :tada:")]
    if total > len(flags):
        blocks.append(bk.context(f"…and {total - len(flags)} more, newest last: see App Home for the board."))
    return bk.fallback(title), bk.message_blocks(blocks)


def daily_review(*, session: Session, now: datetime, org: Organization, **_: Any) -> None:
    open_items = select(Flag).where(Flag.status != Status.RESOLVED)
    total = session.scalar(select(func.count()).select_from(Flag).where(Flag.status != Status.RESOLVED)) or 0
    flags = list(
        session.scalars(
            open_items.options(selectinload(Flag.reports))
            .order_by(Flag.created_at, Flag.id)
            .limit(REVIEW_SHOWN)
        )
    )
    text, blocks = review_message(flags, now, total)
    queue_message(session, now=now, channel=org.channels["moderation"], text=text, blocks=blocks)


TIMED = {
    INTAKE: after_filing,
    REPORTED_AGAIN: after_report,
    FILED: on_filed,
    BECAME_URGENT: on_became_urgent,
    REMIND: remind,
    OVERDUE: overdue,
    REVIEW: daily_review,
}
