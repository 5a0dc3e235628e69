"""message reactions: per message, the fans who opted out or clicked within 24 h; the
deliveries' status index also holds sent_at (message stats read it from the index alone)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OLD_INDEX = ("ix_deliveries_message_channel_status", ["message_id", "channel", "status"])
NEW_INDEX = (
    "ix_deliveries_message_channel_status_sent",
    ["message_id", "channel", "status", "sent_at"],
)


def upgrade() -> None:
    """Apply this revision (the table is filled by 0017's backfill)."""
    op.create_table(
        "message_reactions",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("fan_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["scheduled_messages.id"],
            name=op.f("fk_message_reactions_message_id_scheduled_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"], ["fans.id"], name=op.f("fk_message_reactions_fan_id_fans")
        ),
        sa.PrimaryKeyConstraint("message_id", "kind", "fan_id", name=op.f("pk_message_reactions")),
        sqlite_with_rowid=False,
    )
    op.create_index(NEW_INDEX[0], "deliveries", NEW_INDEX[1], unique=False)
    op.drop_index(OLD_INDEX[0], table_name="deliveries")


def downgrade() -> None:
    """Revert this revision."""
    op.create_index(OLD_INDEX[0], "deliveries", OLD_INDEX[1], unique=False)
    op.drop_index(NEW_INDEX[0], table_name="deliveries")
    op.drop_table("message_reactions")
