"""Analytics pages (blueprint `artist_analytics`): a campaign's funnel and what converts,
its opt-ins and saves over time (both under GET filters), its countdown messages, and the
team's last releases compared."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from core.services import message_stats
from core.services.stats_filters import CHANNELS, Filters, parse_filters
from core.validation import ValidationError
from web.artist import analytics_report, charts
from web.artist.analytics_tables import Sort, parse_sort
from web.artist.context import campaign_or_404, current_team_id, login_required
from web.page_support import page, unit_of_work

bp = Blueprint("artist_analytics", __name__)
bp.add_app_template_filter(charts.percent, "percent")
CONVERSION = "artist/analytics/campaign.html"
OVER_TIME = "artist/analytics/time.html"
FILTERS = ("source", "channel", "country", "region", "since", "until")
MAX_ARG = 200  # longer than any accepted value: the checks still see that it is too long


def filter_args() -> dict[str, str]:
    """The filter form's values as typed (kept on the page, good or bad)."""
    return {name: request.args.get(name, "")[:MAX_ARG] for name in FILTERS}


def refusal(exc: ValidationError) -> dict[str, str]:
    """The refused field and what it accepts, for the message next to it."""
    return {exc.field: f"{exc.field.capitalize()}: {exc.accepted}."}


def checked(args: dict[str, str], sort_arg: str) -> tuple[Filters, Sort | None]:
    """The filters and the sort, or ValidationError naming the first value refused."""
    return parse_filters(**args), parse_sort(sort_arg)


@bp.get("/app/campaigns/<int:campaign_id>/analytics")
@login_required
def campaign_analytics(campaign_id: int) -> ResponseReturnValue:
    """The funnel and what converts, filtered; 400 with the form when a filter is refused."""
    args, sort_arg = filter_args(), request.args.get("sort", "")[:MAX_ARG]
    shown: dict[str, Any] = {
        "args": args,
        "sort": sort_arg,
        "channels": CHANNELS,
        "section": "conversion",
    }
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        try:
            filters, sort = checked(args, sort_arg)
        except ValidationError as exc:
            return page(CONVERSION, 400, campaign=campaign, errors=refusal(exc), report=None,
                        **shown)  # fmt: skip
        report = analytics_report.conversion_report(db, campaign.id, filters, sort)
        return page(CONVERSION, campaign=campaign, errors={}, report=report, **shown)


@bp.get("/app/campaigns/<int:campaign_id>/analytics/time")
@login_required
def campaign_over_time(campaign_id: int) -> ResponseReturnValue:
    """Opt-ins per day and per hour, saves per minute in the drop hour, filtered."""
    args = filter_args()
    shown: dict[str, Any] = {"args": args, "sort": "", "channels": CHANNELS, "section": "time"}
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        try:
            filters, _ = checked(args, "")
        except ValidationError as exc:
            return page(OVER_TIME, 400, campaign=campaign, errors=refusal(exc), report=None,
                        **shown)  # fmt: skip
        report = analytics_report.time_report(db, campaign.id, filters)
        return page(OVER_TIME, campaign=campaign, errors={}, report=report, **shown)


@bp.get("/app/campaigns/<int:campaign_id>/analytics/messages")
@login_required
def campaign_message_stats(campaign_id: int) -> ResponseReturnValue:
    """Per countdown message: deliveries and how they ended, opt-outs and clicks in 24 h."""
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        rows = message_stats.for_campaign(db, campaign.id)
        return page("artist/analytics/messages.html", campaign=campaign, messages=rows,
                    section="messages", args={})  # fmt: skip


@bp.get("/app/releases")
@login_required
def releases() -> ResponseReturnValue:
    """The team's last five releases side by side: opt-ins, authorization rate, saves."""
    with unit_of_work() as db:
        report = analytics_report.team_report(db, current_team_id())
    return page("artist/analytics/releases.html", report=report)
