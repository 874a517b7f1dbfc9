"""Renders a flag's card from the database, for Delivery to post or edit in place."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.delivery import RenderedCard
from bot.flags.blocks import flag_card
from bot.flags.models import ITEM, Flag, Status
from bot.flags.service import get_flag
from bot.oncall.cards import paging_lines


def render_flag_card(session: Session, flag_id: int, now: datetime) -> RenderedCard:
    flag = get_flag(session, flag_id)
    similar = session.get(Flag, flag.similar_to_id) if flag.similar_to_id else None
    overdue = flag.status != Status.RESOLVED and now >= flag.deadline_at
    paging = paging_lines(session, ITEM, flag.id)
    text, blocks = flag_card(flag, similar.ref if similar else None, overdue=overdue, paging=paging)
    return RenderedCard(text=text, blocks=blocks)
