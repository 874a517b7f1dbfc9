"""Paging: an urgent item goes by DM to the on-call person, then down the escalation chain every `ack_minutes`
until someone acknowledges it (Taber 1.04(i)).

Each step is a PageStep row, a live DM card (edited in place at every change, so every page shows who
acknowledged, or that it escalated) and one `oncall.escalate` timed job. Stopping is final twice over: an
acknowledgement cancels the page's jobs and the escalation handler re-checks the page under its row lock,
in the same transaction, so a job already due in the same tick does nothing. Locks are taken in one order
everywhere (timed job, then page), so an acknowledgement racing an escalation on PostgreSQL never deadlocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot import audit, due
from bot.config import Organization
from bot.delivery import SlackCard, touch_card
from bot.errors import Conflict, NotAuthorized, NotFound
from bot.oncall.models import DM_CARD, ITEM, Page, PageStatus, PageStep
from bot.oncall.rotation import Rotation
from bot.oncall.schedule import shift_now

ESCALATE = "oncall.escalate"
MAX_TITLE, MAX_SUMMARY, MAX_CLAUSE = 300, 2000, 500


@dataclass(frozen=True)
class PageItem:
    """What is paged, described by its own domain: texts already escaped, the card it has (if any)."""

    item_type: str
    item_id: int
    title: str  # "F-3 · Possible compromised town account"
    summary: str  # the note, escaped and quoted
    clause: str  # what makes it urgent: "Taber 1.06(c): …"
    card_channel: str | None = None


@dataclass(frozen=True)
class PageView:
    id: int
    title: str
    status: PageStatus
    paged: tuple[tuple[str, datetime], ...]  # (user, when), in order
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    already: bool = False  # nothing changed: it was already paging, or already acknowledged


class NobodyToPage(Conflict):
    """No rotation, no escalation list and no CAO: there is nobody to page."""


def view_of(page: Page, already: bool = False) -> PageView:
    return PageView(
        page.id,
        page.title,
        PageStatus(page.status),
        tuple((step.user, step.paged_at) for step in page.steps),
        page.acknowledged_by,
        page.acknowledged_at,
        already,
    )


def _open_key(item_type: str, item_id: int) -> str:
    return f"{item_type}-{item_id}"


def _locked(session: Session, page_id: int) -> Page | None:
    """The page, locked until the transaction ends (PostgreSQL; SQLite has one writer at a time)."""
    query = select(Page).where(Page.id == page_id).options(selectinload(Page.steps)).with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def start_page(
    *, session: Session, now: datetime, org: Organization, item: PageItem, requested_by: str
) -> PageView:
    """Page the person on call now about `item`. An item already being paged is not paged twice."""
    key = _open_key(item.item_type, item.item_id)
    existing = session.scalar(select(Page).where(Page.open_key == key))
    if existing is not None:
        return view_of(existing, already=True)
    shift = shift_now(session, now, org)
    chain = Rotation(org).chain(shift.user if shift else None)
    if not chain:
        raise NobodyToPage(
            "Nobody can be paged: organization.toml has no `[oncall] rotation`, no escalation list and no CAO."
        )
    page = Page(
        item_type=item.item_type,
        item_id=item.item_id,
        title=item.title[:MAX_TITLE],
        summary=item.summary[:MAX_SUMMARY],
        clause=item.clause[:MAX_CLAUSE],
        card_channel=item.card_channel,
        requested_by=requested_by,
        chain=chain,
        step=0,
        ack_minutes=org.oncall_ack_minutes,
        status=PageStatus.PAGING,
        open_key=key,
        created_at=now,
        version=1,
    )
    try:
        with session.begin_nested():  # paged by someone else a moment ago: theirs stands
            session.add(page)
    except IntegrityError:
        return view_of(session.scalars(select(Page).where(Page.open_key == key)).one(), already=True)
    _page_step(session, now, page, 0, requested_by)
    return view_of(page)


def _page_step(session: Session, now: datetime, page: Page, step: int, actor: str) -> None:
    """Page `page.chain[step]`: their DM card, the next escalation, the audit trail, the item's card."""
    person = page.chain[step]
    paged = PageStep(step=step, user=person, paged_at=now)
    page.steps.append(paged)
    page.step = step
    session.flush()  # the unique (page, step) refuses a second worker paging the same step
    touch_card(session, item_type=DM_CARD, item_id=paged.id, channel=person, now=now, new=True)
    due.schedule(
        session,
        kind=ESCALATE,
        due_at=now + timedelta(minutes=page.ack_minutes),
        now=now,
        item_type=ITEM,
        item_id=page.id,
        payload={"step": step},
        key=f"{ESCALATE}:{page.id}:{step}",
    )
    audit.record(
        session,
        at=now,
        actor=actor,
        action="paged" if step == 0 else "escalated",
        item_type=ITEM,
        item_id=page.id,
        user=person,
        step=step,
        about=f"{page.item_type}-{page.item_id}",
    )
    _show_everywhere(session, now, page, skip_step=step)


def _show_everywhere(session: Session, now: datetime, page: Page, skip_step: int | None = None) -> None:
    """Re-render every DM of the page (the earlier ones now say it escalated) and the item's card."""
    for step in page.steps:
        if step.step != skip_step:
            touch_card(session, item_type=DM_CARD, item_id=step.id, channel=step.user, now=now)
    card = session.scalar(
        select(SlackCard.id).where(SlackCard.item_type == page.item_type, SlackCard.item_id == page.item_id)
    )
    if card is not None:
        channel = page.card_channel or ""  # only used to create a card, and this one exists
        touch_card(session, item_type=page.item_type, item_id=page.item_id, channel=channel, now=now)


def escalate(*, session: Session, now: datetime, job: due.Job, **_context: Any) -> None:
    """The `oncall.escalate` job: nobody acknowledged step N in time; page step N+1, or mark it unanswered.
    It does nothing when the page was acknowledged, or already moved on, since the job was scheduled."""
    page = _locked(session, job.item_id or 0)
    if page is None or page.status != PageStatus.PAGING or page.step != job.payload.get("step"):
        return
    page.version += 1
    if page.step + 1 < len(page.chain):
        _page_step(session, now, page, page.step + 1, audit.SYSTEM_ACTOR)
        return
    page.status, page.open_key = PageStatus.UNANSWERED, None
    audit.record(
        session,
        at=now,
        actor=audit.SYSTEM_ACTOR,
        action="unanswered",
        item_type=ITEM,
        item_id=page.id,
        paged=[step.user for step in page.steps],
    )
    _show_everywhere(session, now, page)


def acknowledge(*, session: Session, now: datetime, page_id: int, actor: str) -> PageView:
    """Someone in the chain takes it: no later step is paged, and every DM and the card say who and when.
    Acknowledging twice is harmless; anyone outside the chain is refused and nothing changes."""
    due.cancel(session, now=now, item_type=ITEM, item_id=page_id)  # first: the job row, then the page
    page = _locked(session, page_id)
    if page is None:
        raise NotFound("That page no longer exists.")
    if actor not in page.chain:
        raise NotAuthorized(
            "Only the people this page went to, or those later in its escalation chain, can acknowledge it. "
            "Nothing was changed."
        )
    if page.status == PageStatus.ACKNOWLEDGED:
        return view_of(page, already=True)
    _settle(session, now, page, actor)
    return view_of(page)


def stop_for_item(
    *, session: Session, now: datetime, item_type: str, item_id: int, actor: str, taken: str
) -> bool:
    """Someone took the paged item itself (claimed or resolved the flag): its page stops as if they had
    acknowledged it, and every DM says so. False when nothing was paging for the item."""
    page_id = session.scalar(
        select(Page.id).where(
            Page.item_type == item_type, Page.item_id == item_id, Page.status == PageStatus.PAGING
        )
    )
    if page_id is None:
        return False
    due.cancel(session, now=now, item_type=ITEM, item_id=page_id)  # the same lock order as acknowledge
    page = _locked(session, page_id)
    if page is None or page.status != PageStatus.PAGING:
        return False
    _settle(session, now, page, actor, taken=taken)
    return True


def _settle(session: Session, now: datetime, page: Page, actor: str, **details: Any) -> None:
    page.status, page.open_key = PageStatus.ACKNOWLEDGED, None
    page.acknowledged_by, page.acknowledged_at = actor, now
    page.version += 1
    audit.record(
        session,
        at=now,
        actor=actor,
        action="acknowledged",
        item_type=ITEM,
        item_id=page.id,
        step=page.step,
        paged=[step.user for step in page.steps],
        about=f"{page.item_type}-{page.item_id}",
        **details,
    )
    _show_everywhere(session, now, page)


# ----- the link to the item's card, fetched once the card is posted (chat.getPermalink)


def pages_needing_link(*, session: Session, limit: int = 20) -> list[tuple[int, str, str]]:
    """(page id, card channel, card ts) of pages still paging whose card is posted but not yet linked."""
    rows = session.execute(
        select(Page.id, SlackCard.channel, SlackCard.ts)
        .join(SlackCard, and_(SlackCard.item_type == Page.item_type, SlackCard.item_id == Page.item_id))
        .where(Page.status == PageStatus.PAGING, Page.card_link.is_(None), SlackCard.ts.is_not(None))
        .order_by(Page.id)
        .limit(limit)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def record_card_link(*, session: Session, now: datetime, page_id: int, link: str) -> bool:
    """Keep the link ("" when Slack has none) and show it in the page's DMs; once, whoever asks first."""
    done = session.execute(
        update(Page)
        .where(Page.id == page_id, Page.card_link.is_(None))
        .values(card_link=link[:500])
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1 or not link:  # type: ignore[attr-defined]
        return False
    for step in session.scalars(select(PageStep).where(PageStep.page_id == page_id)):
        touch_card(session, item_type=DM_CARD, item_id=step.id, channel=step.user, now=now)
    return True


def pages_of(session: Session, item_type: str, item_id: int) -> list[Page]:
    """Every page made for an item, oldest first (for its card)."""
    query = (
        select(Page)
        .where(Page.item_type == item_type, Page.item_id == item_id)
        .options(selectinload(Page.steps))
        .order_by(Page.id)
    )
    return list(session.scalars(query))
