"""The team's campaigns: a list and an overview (blueprint `artist_campaigns`)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from core.services import audit, tenancy
from web.artist.context import campaign_or_404, current_team_id, go, login_required
from web.page_support import page, unit_of_work

bp = Blueprint("artist_campaigns", __name__)


@bp.get("/app/")
def home() -> ResponseReturnValue:
    """The app's front door is the campaign list."""
    return go("artist_campaigns.campaign_list")


@bp.get("/app/campaigns")
@login_required
def campaign_list() -> ResponseReturnValue:
    """The current team's campaigns."""
    with unit_of_work() as db:
        rows = tenancy.team_campaigns(db, current_team_id())
        return page("artist/campaigns.html", campaigns=rows)


@bp.get("/app/campaigns/<int:campaign_id>")
@login_required
def campaign_overview(campaign_id: int) -> ResponseReturnValue:
    """One campaign: title, keyword, release time in its zone, and its audit log."""
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        lines = audit.for_campaign(db, campaign.id)
        return page("artist/campaign.html", campaign=campaign, audit_lines=lines)
