"""front door: a card's replaced message, and the kinds a flag was already routed for

Revision ID: 0007_front_door
Revises: 0006_oncall
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_front_door"
down_revision: str | None = "0006_oncall"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("slack_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("routed_kinds", sa.String(length=200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_column("routed_kinds")
    with op.batch_alter_table("slack_cards", schema=None) as batch_op:
        batch_op.drop_column("replaced_at")
        batch_op.drop_column("replaced_ts")
