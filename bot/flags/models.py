"""Flags and the reports behind them, with the vocabularies the policies give us."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, UTCDateTime
from bot.refs import Ref

ITEM = "flag"  # its item type in refs, cards, the audit trail and timed jobs


class Kind(StrEnum):
    QUESTION = "question"
    MISINFORMATION = "misinformation"
    ABUSIVE = "abusive"
    COMPROMISED = "compromised"
    ELECTION = "election"
    HARASSMENT = "harassment"
    GOOD_POST = "good_post"
    STAFF_QUESTION = "staff_question"  # a policy question nobody could answer, sent on by /policy


class Priority(StrEnum):
    """Taber 1.04(r), in descending order."""

    EMERGENCY = "emergency"
    TIME_SENSITIVE = "time_sensitive"
    COUNCIL = "council"
    PROGRAM = "program"
    PARTNER = "partner"
    OTHER = "other"


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Outcome(StrEnum):
    ANSWERED = "answered"
    CORRECTED = "corrected"
    REMOVED = "removed"
    REFERRED = "referred"
    NO_ACTION = "no_action"


@dataclass(frozen=True)
class Label:
    text: str
    clause: str = ""  # the policy clause behind it, shown where it helps the user


KIND_LABELS: dict[Kind, Label] = {
    Kind.QUESTION: Label("Public question", "Taber 1.04(i)"),
    Kind.MISINFORMATION: Label("Misinformation or misrepresentation", "Taber 1.04(o)"),
    Kind.ABUSIVE: Label("Abusive or off-topic comment on a town page", "Westlock 7.1"),
    Kind.COMPROMISED: Label("Possible compromised town account", "Taber 1.06(c)"),
    Kind.ELECTION: Label("Election or candidate content", "Taber 1.04(p)"),
    Kind.HARASSMENT: Label("Harassment of staff", "Westlock 3.3.3"),
    Kind.GOOD_POST: Label("A good post worth sharing", "Calgary “Be an Ambassador”"),
    Kind.STAFF_QUESTION: Label("Staff policy question", ""),
}
# The kinds an employee can choose in the report form (a staff question arrives from /policy instead).
REPORTABLE_KINDS = [kind for kind in Kind if kind is not Kind.STAFF_QUESTION]

PRIORITY_LABELS: dict[Priority, str] = {
    Priority.EMERGENCY: "Emergency",
    Priority.TIME_SENSITIVE: "Time-sensitive",
    Priority.COUNCIL: "Council decision",
    Priority.PROGRAM: "Town program",
    Priority.PARTNER: "Partner organisation",
    Priority.OTHER: "Other",
}

OUTCOME_LABELS: dict[Outcome, Label] = {
    Outcome.ANSWERED: Label("Answered publicly with facts", "Taber 1.04(f)"),
    Outcome.CORRECTED: Label("Corrected the misinformation", "Taber 1.04(o)"),
    Outcome.REMOVED: Label("Comment hidden or removed under the terms of engagement", "Westlock 7.1"),
    Outcome.REFERRED: Label("Referred to a director or the CAO", "Westlock 3.3.3"),
    Outcome.NO_ACTION: Label("No action needed", ""),
}


class Flag(Base):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str | None] = mapped_column(String(2000))
    # The normalised URL while the flag is open, else NULL: one open flag per post, enforced by the database.
    open_url_key: Mapped[str | None] = mapped_column(String(2000), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(32))
    kind_guessed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=Status.OPEN, index=True)
    assignee: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_by: Mapped[str | None] = mapped_column(String(32))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    similar_to_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id"))
    # The kinds whose audiences were already told at once (routing), space-separated: each once per flag.
    # (A string, not JSON: PostgreSQL cannot compare json, and queries select flags DISTINCT.)
    routed_kinds: Mapped[str] = mapped_column(String(200), default="", server_default="")
    version: Mapped[int] = mapped_column(default=1)  # bumped at every change: optimistic concurrency

    reports: Mapped[list[FlagReport]] = relationship(
        back_populates="flag", order_by="FlagReport.id", cascade="all, delete-orphan"
    )

    @property
    def ref(self) -> str:
        """What people call it: "F-12"."""
        return flag_ref(self.id)

    @property
    def item_ref(self) -> Ref:
        """What its buttons carry: which flag, at which version."""
        return Ref(ITEM, self.id, self.version)

    @property
    def reporters(self) -> list[str]:
        return list(dict.fromkeys(report.reporter for report in self.reports))


class FlagReport(Base):
    """One person's report of a flag: the first one created it, later ones add a reporter (+1)."""

    __tablename__ = "flag_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"), index=True)
    reporter: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    source: Mapped[str] = mapped_column(String(16))  # "command" | "modal" | "shortcut" | "policy"
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)

    flag: Mapped[Flag] = relationship(back_populates="reports")


def flag_ref(flag_id: int) -> str:
    return f"F-{flag_id}"
