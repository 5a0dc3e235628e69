"""Analytics pages (blueprint `artist_analytics`): a campaign's funnel, breakdowns, time
series and countdown messages under GET filters, and the team's last releases compared."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from core.services.stats_filters import CHANNELS, parse_filters
from core.validation import ValidationError
from web.artist import analytics_report, charts
from web.artist.analytics_tables import parse_sort
from web.artist.context import campaign_or_404, current_team_id, login_required
from web.page_support import page, unit_of_work

bp = Blueprint("artist_analytics", __name__)
bp.add_app_template_filter(charts.percent, "percent")
TEMPLATE = "artist/analytics/campaign.html"
FILTERS = ("source", "channel", "country", "region", "since", "until")
MAX_ARG = 200  # longer than any accepted value: the checks still see that it is too long


def filter_args() -> dict[str, str]:
    """The filter form's values as typed (kept on the page, good or bad)."""
    return {name: request.args.get(name, "")[:MAX_ARG] for name in FILTERS}


def refusal(exc: ValidationError) -> dict[str, str]:
    """The refused field and what it accepts, for the message next to it."""
    return {exc.field: f"{exc.field.capitalize()}: {exc.accepted}."}


@bp.get("/app/campaigns/<int:campaign_id>/analytics")
@login_required
def campaign_analytics(campaign_id: int) -> ResponseReturnValue:
    """The funnel and what converts, filtered; 400 with the form when a filter is refused."""
    args, sort_arg = filter_args(), request.args.get("sort", "")[:MAX_ARG]
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        try:
            filters, sort = parse_filters(**args), parse_sort(sort_arg)
        except ValidationError as exc:
            return page(TEMPLATE, 400, campaign=campaign, args=args, sort=sort_arg,
                        errors=refusal(exc), channels=CHANNELS, report=None)  # fmt: skip
        report = analytics_report.campaign_report(db, campaign.id, filters, sort)
        return page(TEMPLATE, campaign=campaign, args=args, sort=sort_arg, errors={},
                    channels=CHANNELS, report=report)  # fmt: skip


@bp.get("/app/releases")
@login_required
def releases() -> ResponseReturnValue:
    """The team's last five releases side by side: opt-ins, authorization rate, saves."""
    with unit_of_work() as db:
        report = analytics_report.team_report(db, current_team_id())
    return page("artist/analytics/releases.html", report=report)
