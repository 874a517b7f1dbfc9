"""Renders a request's card and IT's task cards from the database, for Delivery to post or edit in place."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.delivery import RenderedCard
from bot.requests.blocks import request_card, task_card
from bot.requests.models import Request
from bot.requests.store import get_request, get_task


def render_request_card(session: Session, request_id: int, now: datetime) -> RenderedCard:
    request = get_request(session, request_id)
    original = get_request(session, request.extends_id) if request.extends_id else None
    extensions = list(
        session.scalars(
            select(Request).where(Request.extends_id == request_id).order_by(Request.id).limit(10)
        )
    )
    text, blocks = request_card(request, original, extensions)
    return RenderedCard(text=text, blocks=blocks)


def render_task_card(session: Session, task_id: int, now: datetime) -> RenderedCard:
    task = get_task(session, task_id)
    text, blocks = task_card(task, get_request(session, task.request_id))
    return RenderedCard(text=text, blocks=blocks)
