"""Persist first, post after: the outbox of messages and the live cards, delivered to Slack after commit.

A service never calls Slack. It writes what should be said (an OutboxMessage) or marks a card as changed
(SlackCard.version += 1) inside its own transaction. After the commit, Delivery sends exactly those; what
fails stays due (`due_at`) and the scheduler retries it later. Rows are claimed through `bot.due`, so two
threads or two replicas never send the same thing twice, and a crash loses nothing.

A card is posted with message metadata naming it. A post whose outcome is unknown (the process died between
Slack's answer and the commit, so the claim's lease ran out; or Slack answered 5xx, or the connection dropped)
leaves the card "in doubt", and the next attempt looks for it in the channel's history before posting again.
A card deleted in Slack is posted afresh. What Slack will never take (invalid_blocks, a channel gone) is set
aside as a dead letter, listed by `flagpost deliveries`, instead of being retried forever.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot import due
from bot.clock import Clock
from bot.db import Base, UTCDateTime, upsert
from bot.due import DueColumns
from bot.slack.door import SlackCallFailed, SlackDoor

log = logging.getLogger(__name__)

PENDING_KEY = "flagpost.delivery"
CARD_METADATA_TYPE = "flagpost_card"
UNCONFIRMED = "unconfirmed: "  # last_error prefix: a post of this card may have reached Slack


class OutboxMessage(DueColumns, Base):
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
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SlackCard(DueColumns, Base):
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
    # The last message found deleted in Slack (a fresh card replaced it), and when.
    replaced_ts: Mapped[str | None] = mapped_column(String(32))
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def metadata_for_slack(self) -> dict[str, Any]:
        """What the card's message carries, so a post whose ts was never recorded can be found again."""
        payload = {"card": str(self.id), "item": f"{self.item_type}-{self.item_id}"}
        return {"event_type": CARD_METADATA_TYPE, "event_payload": payload}


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
) -> int:
    """Create the item's card, or mark it changed so it is re-rendered and edited in place: one statement
    either way, safe when two transactions (or replicas) touch the same card at once. Returns its id.
    (`new`, kept for the callers that say so, changes nothing.)"""
    card_id = session.execute(
        upsert(session, SlackCard)
        .values(
            item_type=item_type,
            item_id=item_id,
            channel=channel,
            version=1,
            synced_version=0,
            attempts=0,
            due_at=now,
        )
        .on_conflict_do_update(
            index_elements=[SlackCard.item_type, SlackCard.item_id],
            set_={"version": SlackCard.version + 1, "due_at": now},
        )
        .returning(SlackCard.id)
    ).scalar_one()
    _pending(session)["cards"].append(card_id)
    return int(card_id)


def take_pending(session: Session) -> tuple[list[int], list[int]]:
    """The ids of the cards and messages this session queued (call after commit)."""
    pending = session.info.pop(PENDING_KEY, None) or {"cards": [], "messages": []}
    cards = list(dict.fromkeys(pending["cards"]))
    messages = [message.id for message in pending["messages"]]
    return cards, messages


class Delivery:
    def __init__(
        self,
        factory: sessionmaker[Session],
        door: SlackDoor,
        clock: Clock,
        renderers: dict[str, CardRenderer],
        write_lock: AbstractContextManager[Any] | None = None,
        quiet: Callable[[], None] = lambda: None,
    ):
        self.factory = factory
        self.quiet = quiet  # waits (briefly) for a moment when no request is being answered
        self.door = door
        self.clock = clock
        self.renderers = renderers
        self.write_lock = write_lock or nullcontext()

    # ----- entry points
    def deliver(self, card_ids: Iterable[int] = (), message_ids: Iterable[int] = ()) -> int:
        """Send what one transaction queued, right after its commit. Failures stay due for later."""
        self.quiet()
        return self._send_claimed(
            self._claim_cards(list(card_ids)), self._claim(OutboxMessage, list(message_ids))
        )

    def deliver_due(self, limit: int = due.BATCH) -> int:
        """Send everything whose time has come (the scheduler's job). Returns how many were sent."""
        return self._send_claimed(self._claim_cards(None, limit), self._claim(OutboxMessage, None, limit))

    def _claim_cards(self, ids: list[int] | None, limit: int = due.BATCH) -> list[tuple[int, datetime, bool]]:
        """Claim due cards, each with whether an earlier post of it may have reached Slack unrecorded: its
        last claim's lease ran out (the process died, or the database went away, mid-post) or its last
        post failed ambiguously."""
        if ids == []:
            return []
        with self.write_lock, self.factory() as session:
            now = self.clock.now()
            in_doubt = select(SlackCard.id).where(
                SlackCard.due_at <= now,
                SlackCard.ts.is_(None),
                or_(SlackCard.leased_until < now, SlackCard.last_error.startswith(UNCONFIRMED)),
            )
            if ids is not None:
                in_doubt = in_doubt.where(SlackCard.id.in_(ids))
            doubtful = set(session.scalars(in_doubt))
            claimed = due.claim_due(session, SlackCard, now, ids=ids, limit=limit)
        return [(card_id, lease, card_id in doubtful) for card_id, lease in claimed]

    def _claim(
        self, model: type[Any], ids: list[int] | None, limit: int = due.BATCH
    ) -> list[tuple[int, datetime]]:
        if ids == []:
            return []
        with self.write_lock, self.factory() as session:
            return due.claim_due(session, model, self.clock.now(), ids=ids, limit=limit)

    def _send_claimed(
        self, cards: list[tuple[int, datetime, bool]], messages: list[tuple[int, datetime]]
    ) -> int:
        sent = sum(self._safely(self.sync_card, card_id, lease, doubt) for card_id, lease, doubt in cards)
        return sent + sum(
            self._safely(self.send_message, message_id, lease) for message_id, lease in messages
        )

    @staticmethod
    def _safely(send: Callable[..., bool], row_id: int, lease: datetime, *more: Any) -> bool:
        """An unexpected error (the database went away…) leaves the row to its lease; it is due again after."""
        try:
            return send(row_id, lease, *more)
        except Exception:
            log.exception("delivery of %s %s failed unexpectedly; it stays due", send.__name__, row_id)
            return False

    def backlog(self) -> dict[str, int]:
        with self.factory() as session:
            cards = session.scalar(
                select(func.count()).select_from(SlackCard).where(SlackCard.due_at.is_not(None))
            )
            messages = session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.due_at.is_not(None))
            )
        return {"cards": cards or 0, "messages": messages or 0}

    # ----- cards
    def sync_card(self, card_id: int, lease: datetime, in_doubt: bool = False) -> bool:
        now = self.clock.now()
        with self.factory() as session:
            card = session.get(SlackCard, card_id)
            assert card is not None
            version, channel, ts, metadata = card.version, card.channel, card.ts, card.metadata_for_slack()
            rendered = self.renderers[card.item_type](session, card.item_id, now)
            session.rollback()
        try:
            found = self._find(channel, metadata) if ts is None and in_doubt else None
            new_ts, replaced = self._show(channel, ts or found, rendered, metadata)
        except SlackCallFailed as exc:
            doubt = ts is None and (in_doubt or exc.ambiguous)  # stays in doubt until a look settles it
            self._failed(SlackCard, card_id, lease, now, exc, unconfirmed=doubt)
            return False
        if found:
            log.warning(
                "card %s: found its message %s in the channel's history, not posting again", card_id, found
            )
        return self._record_card(card_id, lease, version, new_ts, replaced)

    def _find(self, channel: str, metadata: dict[str, Any]) -> str | None:
        """The card's earlier message, if one reached Slack. Without the scope to read the channel's
        history, the card is posted again: a possible duplicate is better than a card never shown."""
        try:
            return self.door.find_message(channel, metadata)
        except SlackCallFailed as exc:
            if not exc.permanent:
                raise
            log.error(
                "could not look for card %s in %s's history (%s); posting it again. Add the "
                "channels:history and groups:history scopes (slack-manifest.yml) to avoid duplicates.",
                metadata["event_payload"]["card"],
                channel,
                exc.error,
            )
            return None

    def _show(
        self, channel: str, ts: str | None, rendered: RenderedCard, metadata: dict[str, Any]
    ) -> tuple[str, str | None]:
        """Post the card, or edit it in place; one deleted in Slack is posted afresh. Returns its ts and
        the ts of the message it replaced, if any."""
        if ts is not None:
            try:
                self.door.update_message(channel, ts, rendered.text, rendered.blocks)
                return ts, None
            except SlackCallFailed as exc:
                if exc.error != "message_not_found":
                    raise
                log.warning("card message %s in %s was deleted in Slack; posting a fresh one", ts, channel)
        new_ts = self.door.post_message(channel, rendered.text, rendered.blocks, metadata=metadata)
        return new_ts, ts

    def _record_card(
        self, card_id: int, lease: datetime, version: int, ts: str, replaced: str | None
    ) -> bool:
        with self.write_lock, self.factory() as session:
            current = session.scalar(select(SlackCard.version).where(SlackCard.id == card_id))
            # Changed while we were posting: stay due, so the newest state is shown.
            again = current != version
            gone = {"replaced_ts": replaced, "replaced_at": self.clock.now()} if replaced else {}
            try:
                due.complete(
                    session,
                    SlackCard,
                    card_id,
                    lease,
                    ts=ts,
                    synced_version=version,
                    attempts=0,
                    due_at=self.clock.now() if again else None,
                    **gone,
                )
                session.commit()
            except due.ClaimLost:
                session.rollback()
                # Keep the ts if nobody recorded one, so the next attempt edits this message.
                session.execute(
                    update(SlackCard).where(SlackCard.id == card_id, SlackCard.ts.is_(None)).values(ts=ts)
                )
                session.commit()
                log.warning("card %s: lease ran out while posting; the next attempt edits %s", card_id, ts)
                return True
        if again:
            self.deliver(card_ids=[card_id])
        return True

    # ----- messages
    def send_message(self, message_id: int, lease: datetime) -> bool:
        now = self.clock.now()
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
            # An ephemeral reply is only worth something now; a user who left cannot get a DM.
            drop = message.kind == "ephemeral" or exc.error in (
                "user_not_found",
                "user_disabled",
                "account_inactive",
            )
            self._failed(OutboxMessage, message_id, lease, now, exc, drop=drop)
            return False
        with self.write_lock, self.factory() as session:
            try:
                due.complete(session, OutboxMessage, message_id, lease, sent_at=self.clock.now())
                session.commit()
            except due.ClaimLost:
                session.rollback()
        return True

    def _failed(
        self,
        model: type[Any],
        row_id: int,
        lease: datetime,
        now: datetime,
        exc: SlackCallFailed,
        drop: bool = False,
        unconfirmed: bool = False,
    ) -> None:
        """Retry later with backoff; or set aside for good (`drop`, or a dead letter Slack will never take),
        keeping the error, where `flagpost deliveries` lists it."""
        with self.write_lock, self.factory() as session:
            if drop or exc.dead_letter:
                with contextlib.suppress(due.ClaimLost):
                    due.complete(session, model, row_id, lease, last_error=exc.error[:200])
                session.commit()
                level, what = (
                    (logging.WARNING, "dropped") if drop else (logging.ERROR, "set aside as a dead letter")
                )
                log.log(level, "%s %s %s: %s", model.__tablename__, row_id, what, exc.error)
                return
            error = (UNCONFIRMED if unconfirmed else "") + exc.error
            attempts = due.retry_later(session, model, row_id, lease, now, error)
            session.commit()
        level = logging.ERROR if exc.permanent or attempts >= 5 else logging.WARNING
        log.log(
            level,
            "%s %s not delivered (attempt %s): %s; retrying later",
            model.__tablename__,
            row_id,
            attempts,
            exc.error,
        )
