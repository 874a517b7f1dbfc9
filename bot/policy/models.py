"""The clause database, the questions staff asked, and what they thought of the answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, UTCDateTime

ITEM = "policy_question"  # its item type in refs and the audit trail


class PolicyDocument(Base):
    __tablename__ = "policy_documents"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # the clause file's name
    title: Mapped[str] = mapped_column(String(300))
    organization: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(80))
    policy_number: Mapped[str] = mapped_column(String(80), default="")
    adopted: Mapped[str] = mapped_column(String(20), default="")
    revised: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(300), default="")
    content_hash: Mapped[str] = mapped_column(String(64))  # of the clause file: re-index only on change
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)

    clauses: Mapped[list[PolicyClause]] = relationship(
        back_populates="document", order_by="PolicyClause.position", cascade="all, delete-orphan"
    )


class PolicyClause(Base):
    __tablename__ = "policy_clauses"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_policy_clauses_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("policy_documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300), default="")
    heading_path: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)

    document: Mapped[PolicyDocument] = relationship(back_populates="clauses")


class PolicyQuestion(Base):
    """Every question asked, with what was shown: refusals show which policy is missing."""

    __tablename__ = "policy_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_by: Mapped[str] = mapped_column(String(32))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    question: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # "command" | "dm" | "mention" | "cli"
    confident: Mapped[bool] = mapped_column(default=False)
    shown: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{document, clause, score}]
    sent_to_flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id"))

    feedback: Mapped[list[PolicyFeedback]] = relationship(
        back_populates="question", cascade="all, delete-orphan"
    )


class PolicyFeedback(Base):
    __tablename__ = "policy_feedback"
    __table_args__ = (UniqueConstraint("question_id", "user", name="uq_policy_feedback_vote"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("policy_questions.id", ondelete="CASCADE"), index=True
    )
    user: Mapped[str] = mapped_column(String(32))
    helpful: Mapped[bool] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    question: Mapped[PolicyQuestion] = relationship(back_populates="feedback")


class PolicyExemplar(Base):
    """A question voted Helpful, as an exemplar of the clause it was answered with: a new question close
    to it lifts that clause. One per question; it goes when no Helpful vote is left on the question."""

    __tablename__ = "policy_exemplars"
    __table_args__ = (UniqueConstraint("question_id", name="uq_policy_exemplars_question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("policy_questions.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(String(120))
    clause_number: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
