"""The throwaway domain's services: a reminder asked for with /remind-me, confirmed with a button, and sent
by a timed job."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import audit, due
from bot.delivery import queue_message
from bot.errors import Conflict, InvalidInput, NotAuthorized
from bot.refs import Ref
from bot.slack import blocks as bk
from bot.slack.text import escape

ITEM = "reminder"
SEND = "reminders.send"
CONFIRM = "reminder_confirm"


def ask(*, session: Session, now: datetime, user: str, text: str) -> int:
    if not text.strip():
        raise InvalidInput("Say what to remind you of: `/remind-me water the plants`.")
    entry = audit.record(session, at=now, actor=user, action="asked", item_type=ITEM, item_id=None, text=text)
    session.flush()
    ref = Ref(ITEM, entry.id, version=1)
    queue_message(
        session,
        now=now,
        dm_user=user,
        text="Confirm your reminder",
        blocks=[
            bk.section(f"Remind you of: {escape(text)}?"),
            bk.actions([bk.button("Confirm", CONFIRM, ref.encode())]),
        ],
    )
    return entry.id


def confirm(*, session: Session, now: datetime, ref: Ref, actor: str) -> None:
    asked = session.get(audit.AuditEvent, ref.id)
    if asked is None or asked.action != "asked":
        raise Conflict("That reminder is gone.")
    if asked.actor != actor:
        raise NotAuthorized("Only the person who asked can confirm it.")
    job = due.schedule(
        session,
        kind=SEND,
        due_at=now + timedelta(minutes=30),
        now=now,
        item_type=ITEM,
        item_id=ref.id,
        payload={"user": actor, "text": asked.details["text"]},
        key=f"{SEND}:{ref.id}",
    )
    if job is None:
        raise Conflict("That reminder is already confirmed.")


def send(*, session: Session, now: datetime, job: due.Job, **_context: object) -> None:
    queue_message(
        session, now=now, dm_user=job.payload["user"], text=f"Reminder: {escape(job.payload['text'])}"
    )
