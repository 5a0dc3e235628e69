"""event export index: a campaign's events in (at, id) order, for the events CSV

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 11:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_events_campaign_at_id", "events", ["campaign_id", "at", "id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_events_campaign_at_id", table_name="events")
