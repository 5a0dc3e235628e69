"""backfill the rollups: fill funnel_facts, page_view_hours (0014) and message_reactions
(0016) from the events already recorded, so an upgraded install shows its funnels

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 17:05:00.000000

It runs `presave stats rebuild`'s own set-based rebuild (a few INSERT ... SELECT over the
whole event log, no loop over events), so the backfill equals what the incremental
updates keep. It reads the tables as the models describe them: keep this revision after
any later change to those tables' columns (the lead re-chains it to the head on merge).
"""

from __future__ import annotations

from alembic import op

from core.services import funnel_rebuild

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: rebuild every campaign's rollups."""
    funnel_rebuild.rebuild(op.get_bind())


def downgrade() -> None:
    """Nothing to revert: the rows are derived; 0016 and 0014 drop their tables."""
