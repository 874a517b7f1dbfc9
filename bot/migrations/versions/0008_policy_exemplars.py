"""policy exemplars: a question voted Helpful lifts the clause it was answered with

Revision ID: 0008_policy_exemplars
Revises: 0007_front_door
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_policy_exemplars"
down_revision: str | None = "0007_front_door"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_exemplars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=120), nullable=False),
        sa.Column("clause_number", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["policy_questions.id"],
            name=op.f("fk_policy_exemplars_question_id_policy_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_exemplars")),
        sa.UniqueConstraint("question_id", name="uq_policy_exemplars_question"),
    )


def downgrade() -> None:
    op.drop_table("policy_exemplars")
