"""timed jobs: reminders, pages, escalations, expiries and housekeeping, each a row with a due_at

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "timed_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("item_type", sa.String(length=32), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timed_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_timed_jobs_key")),
    )
    with op.batch_alter_table("timed_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timed_jobs_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_timed_jobs_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_timed_jobs_item", ["item_type", "item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("timed_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_timed_jobs_item")
        batch_op.drop_index(batch_op.f("ix_timed_jobs_kind"))
        batch_op.drop_index(batch_op.f("ix_timed_jobs_due_at"))

    op.drop_table("timed_jobs")
