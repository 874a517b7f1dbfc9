"""requests (access, share, account, photo), their approval steps, and IT's tasks

Revision ID: 0005_requests
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_requests"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requester", sa.String(length=32), nullable=False),
        sa.Column("director", sa.String(length=32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extends_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["extends_id"], ["requests.id"], name=op.f("fk_requests_extends_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requests")),
    )
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_requests_requester"), ["requester"], unique=False)
        batch_op.create_index(batch_op.f("ix_requests_status"), ["status"], unique=False)

    op.create_table(
        "request_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("roles", sa.String(length=100), nullable=False),
        sa.Column("approver", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_as", sa.String(length=16), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_request_steps_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_steps")),
        sa.UniqueConstraint("request_id", "position", name="uq_request_steps_position"),
    )
    with op.batch_alter_table("request_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_steps_request_id"), ["request_id"], unique=False)

    op.create_table(
        "request_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_by", sa.String(length=32), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_request_tasks_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_tasks")),
        sa.UniqueConstraint("request_id", "kind", name="uq_request_tasks_kind"),
    )
    with op.batch_alter_table("request_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_tasks_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("request_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_tasks_request_id"))

    op.drop_table("request_tasks")
    with op.batch_alter_table("request_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_steps_request_id"))

    op.drop_table("request_steps")
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requests_status"))
        batch_op.drop_index(batch_op.f("ix_requests_requester"))

    op.drop_table("requests")
