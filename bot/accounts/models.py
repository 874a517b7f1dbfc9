"""The accounts of `[[accounts]]` as Flagpost remembers them: when the password was last changed, by whom.
Never the password itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime

ITEM = "account"  # its item type in refs, the audit trail and timed jobs


class Account(Base):
    __tablename__ = "password_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)  # as in organization.toml
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # recorded with "Changed it"
    changed_by: Mapped[str | None] = mapped_column(String(32))
