"""Pages (one urgent item, paged step by step down an escalation chain) and on-call overrides."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, UTCDateTime

ITEM = "page"  # its item type in refs, the audit trail and timed jobs
DM_CARD = "page_dm"  # the live DM each paged person gets, edited in place (one per step)
OVERRIDE = "oncall_override"  # its item type in the audit trail


class PageStatus(StrEnum):
    PAGING = "paging"  # waiting for an acknowledgement; escalates after ack_minutes
    ACKNOWLEDGED = "acknowledged"  # final
    UNANSWERED = "unanswered"  # every step was paged and nobody acknowledged; still acknowledgeable


class Page(Base):
    """One urgent item paged out of hours. The chain is fixed when the page starts, so a hand-over or a
    changed organisation file in the middle does not reshuffle who comes next."""

    __tablename__ = "pages"
    __table_args__ = (Index("ix_pages_item", "item_type", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_type: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))  # escaped by the caller, e.g. "F-3 · Compromised account"
    summary: Mapped[str] = mapped_column(Text)  # escaped by the caller
    clause: Mapped[str] = mapped_column(String(500))  # what makes it urgent, e.g. "Taber 1.06(c): …"
    card_channel: Mapped[str | None] = mapped_column(String(32))
    card_link: Mapped[str | None] = mapped_column(String(500))  # chat.getPermalink, once the card is posted
    requested_by: Mapped[str] = mapped_column(String(32))  # "flagpost", or the moderator who paged
    chain: Mapped[list[Any]] = mapped_column(JSON)  # user ids, in the order they are paged
    step: Mapped[int] = mapped_column(default=0)  # the newest step paged (an index into chain)
    ack_minutes: Mapped[int] = mapped_column(default=15)  # from organization.toml when the page started
    status: Mapped[str] = mapped_column(String(16), index=True)
    # "<item_type>-<item_id>" while paging, else NULL: one page at a time per item, enforced by the database.
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    steps: Mapped[list[PageStep]] = relationship(
        back_populates="page", order_by="PageStep.step", cascade="all, delete-orphan"
    )


class PageStep(Base):
    """One person paged for a page. The unique (page, step) means a step can never be paged twice."""

    __tablename__ = "page_steps"
    __table_args__ = (UniqueConstraint("page_id", "step", name="uq_page_steps_page_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    user: Mapped[str] = mapped_column(String(32))
    paged_at: Mapped[datetime] = mapped_column(UTCDateTime)

    page: Mapped[Page] = relationship(back_populates="steps")


class Override(Base):
    """Someone covers the on-call shift from `starts_at` to `ends_at` (`/oncall cover`, `/oncall me`)."""

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
