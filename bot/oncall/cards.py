"""Renders a page's DM from the database, for Delivery to post and then edit in place."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.delivery import RenderedCard
from bot.errors import NotFound
from bot.oncall.blocks import page_dm, page_notes
from bot.oncall.models import PageStep
from bot.oncall.paging import pages_of


def render_page_dm(session: Session, step_id: int, now: datetime) -> RenderedCard:
    step = session.get(PageStep, step_id)
    if step is None:
        raise NotFound(f"There is no page step {step_id}.")
    text, blocks = page_dm(step.page, step)
    return RenderedCard(text=text, blocks=blocks)


def paging_lines(session: Session, item_type: str, item_id: int) -> list[str]:
    """What an item's own card shows about its pages (its domain calls this while rendering)."""
    return page_notes(pages_of(session, item_type, item_id))
