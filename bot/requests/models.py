"""Requests, their approval steps, and IT's tasks, with the vocabularies the policies give us."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, UTCDateTime
from bot.refs import Ref

ITEM = "request"  # its item type in refs, cards, the audit trail and timed jobs
TASK_ITEM = "request_task"  # IT's "provision access" and "revoke access" tasks


class Kind(StrEnum):
    ACCESS = "access"  # Taber 1.05
    SHARE = "share"  # Taber 1.04(s),(t); Middlesex "Sharing/Following Guidelines"
    ACCOUNT = "account"  # Taber 1.02(d),(e); Westlock 5.3
    PHOTO = "photo"  # Taber 1.04(d); Westlock 8.2


KIND_TITLES: dict[Kind, str] = {
    Kind.ACCESS: "Access to the town's social media",
    Kind.SHARE: "Share a community group's information",
    Kind.ACCOUNT: "A new department account",
    Kind.PHOTO: "Approval to post a photo",
}
KIND_CLAUSES: dict[Kind, str] = {
    Kind.ACCESS: "Taber 1.05",
    Kind.SHARE: "Taber 1.04(s),(t); Middlesex “Sharing/Following”",
    Kind.ACCOUNT: "Taber 1.02(d),(e); Westlock 5.3",
    Kind.PHOTO: "Taber 1.04(d); Westlock 8.2",
}


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # approved access whose time frame has ended


class StepStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    SKIPPED = "skipped"  # an earlier step was denied, or the request was cancelled


class TaskKind(StrEnum):
    PROVISION = "provision"  # Taber 1.05(e),(f)
    REVOKE = "revoke"


class Request(Base):
    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING, index=True)
    requester: Mapped[str] = mapped_column(String(32), index=True)
    director: Mapped[str | None] = mapped_column(String(32))  # the director named on the request
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the kind's fields, and its checks
    starts_on: Mapped[date | None] = mapped_column(Date)  # access: the time frame, in the town's days
    ends_on: Mapped[date | None] = mapped_column(Date)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # approved access: when it ends
    extends_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))  # an extension of this grant
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(default=1)  # bumped at every change: optimistic concurrency

    steps: Mapped[list[RequestStep]] = relationship(
        back_populates="request", order_by="RequestStep.position", cascade="all, delete-orphan"
    )
    tasks: Mapped[list[RequestTask]] = relationship(
        back_populates="request", order_by="RequestTask.id", cascade="all, delete-orphan"
    )

    @property
    def ref(self) -> str:
        """What people call it: "R-3"."""
        return request_ref(self.id)

    @property
    def title(self) -> str:
        return KIND_TITLES[Kind(self.kind)]

    @property
    def current_step(self) -> RequestStep | None:
        """The step that waits for a decision, while the request is pending."""
        if self.status != Status.PENDING:
            return None
        return next((step for step in self.steps if step.status == StepStatus.PENDING), None)

    def item_ref(self, step: int | None = None) -> Ref:
        """What its buttons carry: which request, at which version, and which step they decide."""
        return Ref(ITEM, self.id, self.version, step)


class RequestStep(Base):
    """One approval in the sequence: who may decide it, and who did, when, and with what comment."""

    __tablename__ = "request_steps"
    __table_args__ = (UniqueConstraint("request_id", "position", name="uq_request_steps_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1, 2…
    roles: Mapped[str] = mapped_column(String(100))  # "director" or "communications,director"
    approver: Mapped[str | None] = mapped_column(String(32))  # the named director, for a director step
    status: Mapped[str] = mapped_column(String(16), default=StepStatus.PENDING)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it became the current step
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_as: Mapped[str | None] = mapped_column(String(16))  # the role the decider acted in
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)

    request: Mapped[Request] = relationship(back_populates="steps")

    @property
    def role_list(self) -> tuple[str, ...]:
        return tuple(self.roles.split(","))


class RequestTask(Base):
    """Work IT does for a grant, shown as a card with a Done button in the IT channel."""

    __tablename__ = "request_tasks"
    __table_args__ = (UniqueConstraint("request_id", "kind", name="uq_request_tasks_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(32))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    request: Mapped[Request] = relationship(back_populates="tasks")

    @property
    def item_ref(self) -> Ref:
        return Ref(TASK_ITEM, self.id, self.version)


def request_ref(request_id: int) -> str:
    return f"R-{request_id}"
