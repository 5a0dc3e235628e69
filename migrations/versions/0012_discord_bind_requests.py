"""discord bind requests: servers that asked to bind a campaign they may not

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 11:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "discord_bind_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.String(length=24), nullable=False),
        sa.Column("guild_name", sa.String(length=100), nullable=True),
        sa.Column("asked_by", sa.String(length=24), nullable=False),
        sa.Column("asked_by_name", sa.String(length=32), nullable=True),
        sa.Column("first_asked_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_asked_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("times_asked", sa.Integer(), nullable=False),
        sa.Column("dismissed_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_discord_bind_requests_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discord_bind_requests")),
        sa.UniqueConstraint(
            "campaign_id", "guild_id", name=op.f("uq_discord_bind_requests_campaign_id_guild_id")
        ),
    )
    with op.batch_alter_table("discord_bind_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_discord_bind_requests_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_discord_bind_requests_guild_id"), ["guild_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("discord_bind_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discord_bind_requests_guild_id"))
        batch_op.drop_index(batch_op.f("ix_discord_bind_requests_campaign_id"))
    op.drop_table("discord_bind_requests")
