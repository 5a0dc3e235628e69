"""dashboard indexes: the fan list's keyset order, last events, pre-save counts and pace

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 07:05:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_fan_links_campaign_created_fan", "fan_links", ["campaign_id", "created_at", "fan_id"]),
    ("ix_events_campaign_fan_at", "events", ["campaign_id", "fan_id", "at"]),
    ("ix_presaves_campaign_status_market", "presaves", ["campaign_id", "status", "market"]),
    ("ix_presaves_campaign_saved_at", "presaves", ["campaign_id", "saved_at"]),
    ("ix_consents_campaign_status_fan", "consents", ["campaign_id", "status", "fan_id"]),
    ("ix_spotify_grants_status", "spotify_grants", ["status"]),
    (
        "ix_deliveries_message_channel_status",
        "deliveries",
        ["message_id", "channel", "status"],
    ),
)


def upgrade() -> None:
    """Apply this revision."""
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    """Revert this revision."""
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
