"""Slack re-delivers events it did not see acknowledged; each event_id is processed once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.db import Base, UTCDateTime


class ProcessedEvent(Base):
    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retry_num: Mapped[int] = mapped_column(default=0)


def first_delivery(factory: sessionmaker[Session], event_id: str, now: datetime, retry_num: int = 0) -> bool:
    """Record the event id; False when it was recorded before (a re-delivery)."""
    session = factory()
    try:
        session.add(ProcessedEvent(event_id=event_id, received_at=now, retry_num=retry_num))
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False
    finally:
        session.close()
