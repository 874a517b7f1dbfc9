"""Persist first, post after: the outbox of messages and the live cards, delivered to Slack after commit.

A service never calls Slack. It writes what should be said (an OutboxMessage) or marks a card as changed
(SlackCard.version += 1) inside its own transaction. After the commit, Delivery sends exactly those; what
fails stays due (`due_at`) and the scheduler retries it later. A row is taken by a conditional UPDATE (a
lease), so two threads or two replicas never send the same thing twice, and a crash loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.clock import Clock
from bot.db import Base, UTCDateTime
from bot.slack.door import SlackCallFailed, SlackDoor

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(hours=1)
PENDING_KEY = "flagpost.delivery"


class OutboxMessage(Base):
    """One message to post: to a channel, to a user's DM, or ephemeral to a user in a channel."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "channel" | "dm" | "ephemeral"
    channel: Mapped[str | None] = mapped_column(String(32))
    user: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    blocks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # None once sent or given up
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))


class SlackCard(Base):
    """The live message that shows an item in a channel, re-rendered from the item at every change."""

    __tablename__ = "slack_cards"
    __table_args__ = (UniqueConstraint("item_type", "item_id", name="uq_slack_cards_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_type: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(default=1)
    synced_version: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))


@dataclass(frozen=True)
class RenderedCard:
    text: str
    blocks: list[dict[str, Any]]


CardRenderer = Callable[[Session, int, datetime], RenderedCard]


def _pending(session: Session) -> dict[str, list[Any]]:
    return session.info.setdefault(PENDING_KEY, {"cards": [], "messages": []})


def queue_message(
    session: Session,
    *,
    now: datetime,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    channel: str | None = None,
    dm_user: str | None = None,
    ephemeral_user: str | None = None,
    thread_ts: str | None = None,
) -> OutboxMessage:
    """Say something after this transaction commits: in a channel, in a DM, or ephemerally."""
    if dm_user:
        kind = "dm"
    elif ephemeral_user:
        kind = "ephemeral"
    else:
        kind = "channel"
    if kind != "dm" and not channel:
        raise ValueError("a channel or ephemeral message needs a channel")
    message = OutboxMessage(
        kind=kind,
        channel=channel,
        user=dm_user or ephemeral_user,
        text=text,
        blocks=blocks,
        thread_ts=thread_ts,
        created_at=now,
        due_at=now,
        attempts=0,
    )
    session.add(message)
    _pending(session)["messages"].append(message)
    return message


def touch_card(
    session: Session, *, item_type: str, item_id: int, channel: str, now: datetime, new: bool = False
) -> SlackCard:
    """Create the item's card (`new`: the item was created in this transaction), or mark it changed so
    it is re-rendered and edited in place."""
    card = (
        None
        if new
        else session.scalar(
            select(SlackCard).where(SlackCard.item_type == item_type, SlackCard.item_id == item_id)
        )
    )
    if card is None:
        card = SlackCard(
            item_type=item_type,
            item_id=item_id,
            channel=channel,
            version=1,
            synced_version=0,
            attempts=0,
            due_at=now,
        )
        session.add(card)
    else:
        session.execute(
            update(SlackCard)
            .where(SlackCard.id == card.id)
            .values(version=SlackCard.version + 1, due_at=now)
            .execution_options(synchronize_session=False)
        )
    _pending(session)["cards"].append(card)
    return card


def take_pending(session: Session) -> tuple[list[int], list[int]]:
    """The ids of the cards and messages this session queued (call after commit)."""
    pending = session.info.pop(PENDING_KEY, None) or {"cards": [], "messages": []}
    cards = list(dict.fromkeys(card.id for card in pending["cards"]))
    messages = [message.id for message in pending["messages"]]
    return cards, messages


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=15 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class Delivery:
    def __init__(
        self,
        factory: sessionmaker[Session],
        door: SlackDoor,
        clock: Clock,
        renderers: dict[str, CardRenderer],
        write_lock: AbstractContextManager[Any] | None = None,
    ):
        self.factory = factory
        self.door = door
        self.clock = clock
        self.renderers = renderers
        self.write_lock = write_lock or nullcontext()

    # ----- entry points
    def deliver(self, card_ids: Iterable[int] = (), message_ids: Iterable[int] = ()) -> None:
        """Send what one transaction queued, right after its commit. Failures stay due for later."""
        for card_id in card_ids:
            self._safely(self.sync_card, card_id)
        for message_id in message_ids:
            self._safely(self.send_message, message_id)

    @staticmethod
    def _safely(send: Callable[[int], bool], row_id: int) -> bool:
        """An unexpected error (the database went away…) leaves the row due; the scheduler tries again."""
        try:
            return send(row_id)
        except Exception:
            log.exception("delivery of %s %s failed unexpectedly; it stays due", send.__name__, row_id)
            return False

    def deliver_due(self, limit: int = 200) -> int:
        """Send everything whose time has come (the scheduler's job). Returns how many were sent."""
        now = self.clock.now()
        with self.factory() as session:
            card_ids = session.scalars(
                select(SlackCard.id).where(SlackCard.due_at <= now).order_by(SlackCard.due_at).limit(limit)
            ).all()
            message_ids = session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.due_at <= now)
                .order_by(OutboxMessage.due_at)
                .limit(limit)
            ).all()
        sent = sum(self._safely(self.sync_card, card_id) for card_id in card_ids)
        return sent + sum(self._safely(self.send_message, message_id) for message_id in message_ids)

    def backlog(self) -> dict[str, int]:
        with self.factory() as session:
            cards = session.scalar(
                select(func.count()).select_from(SlackCard).where(SlackCard.due_at.is_not(None))
            )
            messages = session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.due_at.is_not(None))
            )
        return {"cards": cards or 0, "messages": messages or 0}

    # ----- leases
    def _lease(self, model: type[SlackCard] | type[OutboxMessage], row_id: int, now: datetime) -> bool:
        with self.write_lock, self.factory() as session:
            result = session.execute(
                update(model)
                .where(
                    model.id == row_id,
                    model.due_at.is_not(None),
                    model.due_at <= now,
                    or_(model.leased_until.is_(None), model.leased_until < now),
                )
                .values(leased_until=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            session.commit()
            return result.rowcount == 1  # type: ignore[attr-defined]

    # ----- cards
    def sync_card(self, card_id: int) -> bool:
        now = self.clock.now()
        if not self._lease(SlackCard, card_id, now):
            return False
        with self.factory() as session:
            card = session.get(SlackCard, card_id)
            assert card is not None
            version, channel, ts = card.version, card.channel, card.ts
            rendered = self.renderers[card.item_type](session, card.item_id, now)
            session.rollback()
        try:
            if ts is None:
                ts = self.door.post_message(channel, rendered.text, rendered.blocks)
            else:
                self.door.update_message(channel, ts, rendered.text, rendered.blocks)
        except SlackCallFailed as exc:
            self._card_failed(card_id, exc, now)
            return False
        with self.write_lock, self.factory() as session:
            card = session.get(SlackCard, card_id)
            assert card is not None
            card.ts = ts
            card.synced_version = version
            card.attempts = 0
            card.last_error = None
            card.leased_until = None
            # Changed while we were posting: stay due, so the newest state is shown.
            card.due_at = None if card.version == version else self.clock.now()
            session.commit()
            again = card.due_at is not None
        if again:
            self.sync_card(card_id)
        return True

    def _card_failed(self, card_id: int, exc: SlackCallFailed, now: datetime) -> None:
        with self.write_lock, self.factory() as session:
            card = session.get(SlackCard, card_id)
            assert card is not None
            card.attempts += 1
            card.last_error = exc.error[:200]
            card.leased_until = None
            card.due_at = now + _backoff(card.attempts)
            session.commit()
            level = logging.ERROR if exc.permanent or card.attempts >= 5 else logging.WARNING
            log.log(
                level,
                "card %s (%s %s) not delivered, attempt %s: %s; retrying at %s",
                card_id,
                card.item_type,
                card.item_id,
                card.attempts,
                exc.error,
                card.due_at.isoformat(),
            )

    # ----- messages
    def send_message(self, message_id: int) -> bool:
        now = self.clock.now()
        if not self._lease(OutboxMessage, message_id, now):
            return False
        with self.factory() as session:
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            session.expunge(message)
        try:
            if message.kind == "dm":
                assert message.user
                self.door.send_dm(message.user, message.text, message.blocks)
            elif message.kind == "ephemeral":
                assert message.channel and message.user
                self.door.post_ephemeral(message.channel, message.user, message.text, message.blocks)
            else:
                assert message.channel
                self.door.post_message(message.channel, message.text, message.blocks, message.thread_ts)
        except SlackCallFailed as exc:
            self._message_failed(message_id, exc, now)
            return False
        with self.write_lock, self.factory() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(sent_at=self.clock.now(), due_at=None, leased_until=None)
            )
            session.commit()
        return True

    def _message_failed(self, message_id: int, exc: SlackCallFailed, now: datetime) -> None:
        with self.write_lock, self.factory() as session:
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            message.attempts += 1
            message.last_error = exc.error[:200]
            message.leased_until = None
            # An ephemeral reply is only worth something now; a user who left cannot get a DM.
            if message.kind == "ephemeral" or exc.error in ("user_not_found", "account_inactive"):
                message.due_at = None
                log.warning("message %s dropped: %s", message_id, exc.error)
            else:
                message.due_at = now + _backoff(message.attempts)
                log.warning(
                    "message %s not delivered (attempt %s): %s", message_id, message.attempts, exc.error
                )
            session.commit()
