"""When a flag is urgent enough to wake someone (Taber 1.04(i), 1.04(r), 1.06(c)), and how it is handed to
on call: as a generic page item, its texts escaped here, with the clause that makes it urgent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import audit
from bot.config import Organization
from bot.errors import Conflict
from bot.flags import blocks
from bot.flags.models import ITEM, KIND_LABELS, PRIORITY_LABELS, Flag, Kind, Priority, Status
from bot.flags.service import get_flag, require_moderator
from bot.flags.urgency import AFTER_HOURS, urgency
from bot.oncall.paging import PageItem, PageView, start_page
from bot.slack.text import escape, quote


def page_item(flag: Flag, org: Organization, clause: str) -> PageItem:
    where = blocks.where(flag)  # the platform and the host a browser opens
    note = flag.reports[0].note if flag.reports else ""
    return PageItem(
        item_type=ITEM,
        item_id=flag.id,
        title=escape(
            f"{flag.ref} · {KIND_LABELS[Kind(flag.kind)].text} · {PRIORITY_LABELS[Priority(flag.priority)]}"
        ),
        summary=f"Reported by <@{flag.created_by}> on {where}:\n{quote(note, 600)}",
        clause=clause,
        card_channel=org.channels["moderation"],
    )


def page_flag(
    session: Session, now: datetime, org: Organization, flag: Flag, clause: str, requested_by: str
) -> PageView:
    """Page on call about `flag`, and note it on the flag's own trail."""
    view = start_page(
        session=session, now=now, org=org, item=page_item(flag, org, clause), requested_by=requested_by
    )
    if not view.already:
        audit.record(
            session,
            at=now,
            actor=requested_by,
            action="paged_on_call",
            item_type=ITEM,
            item_id=flag.id,
            page=view.id,
        )
    return view


def page_now(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    flag_id: int,
    actor: str,
    version: int | None = None,
) -> PageView:
    """A moderator's "Page on-call now" on the card, at any hour. An item already being paged is not paged
    again; the moderator is told who has it."""
    require_moderator(org, actor)
    flag = get_flag(session, flag_id)
    if flag.status == Status.RESOLVED:
        raise Conflict(f"{flag.ref} is already resolved; there is nobody to wake for it.")
    clause = urgency(flag) or f"{AFTER_HOURS}; paged by a moderator from the card"
    view = page_flag(session, now, org, flag, clause, actor)
    if view.already:
        paged = view.paged[-1][0] if view.paged else "someone"
        raise Conflict(f"{flag.ref} is already being paged (now <@{paged}>); nothing more was sent.")
    return view
