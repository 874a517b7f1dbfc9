"""policy clauses, questions and feedback

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_documents",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=80), nullable=False),
        sa.Column("policy_number", sa.String(length=80), nullable=False),
        sa.Column("adopted", sa.String(length=20), nullable=False),
        sa.Column("revised", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_documents")),
    )
    op.create_table(
        "policy_clauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("heading_path", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["policy_documents.id"],
            name=op.f("fk_policy_clauses_document_id_policy_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_clauses")),
        sa.UniqueConstraint("document_id", "number", name="uq_policy_clauses_number"),
    )
    with op.batch_alter_table("policy_clauses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_clauses_document_id"), ["document_id"], unique=False)

    op.create_table(
        "policy_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asked_by", sa.String(length=32), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("confident", sa.Boolean(), nullable=False),
        sa.Column("shown", sa.JSON(), nullable=False),
        sa.Column("sent_to_flag_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sent_to_flag_id"], ["flags.id"], name=op.f("fk_policy_questions_sent_to_flag_id_flags")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_questions")),
    )
    with op.batch_alter_table("policy_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_questions_asked_at"), ["asked_at"], unique=False)

    op.create_table(
        "policy_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=32), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["policy_questions.id"],
            name=op.f("fk_policy_feedback_question_id_policy_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_feedback")),
        sa.UniqueConstraint("question_id", "user", name="uq_policy_feedback_vote"),
    )
    with op.batch_alter_table("policy_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_feedback_question_id"), ["question_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("policy_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_feedback_question_id"))

    op.drop_table("policy_feedback")
    with op.batch_alter_table("policy_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_questions_asked_at"))

    op.drop_table("policy_questions")
    with op.batch_alter_table("policy_clauses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_clauses_document_id"))

    op.drop_table("policy_clauses")
    op.drop_table("policy_documents")
