"""Slack re-delivers events it did not see acknowledged; each event_id is processed once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import NO_BEGIN, SQLITE_SYNCHRONOUS, Base, UTCDateTime, upsert_for


class ProcessedEvent(Base):
    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retry_num: Mapped[int] = mapped_column(default=0)


def first_delivery(engine: Engine, event_id: str, now: datetime, retry_num: int = 0) -> bool:
    """Record the event id; False when it was recorded before (a re-delivery). One statement, committed on
    its own: on PostgreSQL one round trip (no BEGIN, no COMMIT), whichever replica the re-delivery reaches.

    On SQLite this commit is not flushed to disk by itself (synchronous=NORMAL, for this statement only):
    the write-ahead log is sequential, so the next FULL commit, the one that stores whatever the request
    changes, flushes this key with it. A power cut in between loses a key that guarded nothing yet."""
    record = (
        upsert_for(engine, ProcessedEvent)
        .values(event_id=event_id, received_at=now, retry_num=retry_num)
        .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
        .returning(ProcessedEvent.event_id)
    )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            return connection.execute(record).first() is not None
    with engine.connect().execution_options(**{NO_BEGIN: True}) as connection:
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        try:
            return connection.execute(record).first() is not None
        finally:
            connection.exec_driver_sql(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
