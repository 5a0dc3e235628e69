"""campaign sms sender: its kind, the numbers of a Messaging Service, a daily cap

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sms_sender", sa.String(length=20), server_default="long_code", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("sms_sender_numbers", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("sms_daily_cap", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("sms_daily_cap")
        batch_op.drop_column("sms_sender_numbers")
        batch_op.drop_column("sms_sender")
