"""The audit trail: every state change of every item writes one row (who, what, which item, when, details)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db import Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(32))  # a Slack user id, or "flagpost" for the bot itself
    action: Mapped[str] = mapped_column(String(64))
    item_type: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


SYSTEM_ACTOR = "flagpost"


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    item_type: str,
    item_id: int | None,
    **details: Any,
) -> AuditEvent:
    entry = AuditEvent(
        at=at, actor=actor, action=action, item_type=item_type, item_id=item_id, details=details
    )
    session.add(entry)
    return entry
