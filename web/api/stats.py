"""A campaign's numbers from the funnel rollups (the artist pages' numbers): the funnel,
breakdowns, time series and per-message stats, each under the same filters; and the team's
last releases side by side. Read scope is enough; another team's campaign is a 404."""

from __future__ import annotations

from collections.abc import Callable

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from core.services import message_stats, stats, tenancy
from core.services.stats_filters import Filters, parse_filters
from core.services.stats_series import Series, optins_daily, optins_hourly, saves_by_minute
from web.api import bp, stats_shapes
from web.api.auth import caller
from web.api.problems import invalid
from web.api.spec import operation
from web.api.stats_schemas import DIMENSION_PATH, FILTER_QUERY, SERIES_NAMES, SERIES_PATH
from web.page_support import unit_of_work

TAG = "stats"
BASE = "/campaigns/<int:campaign_id>/stats"
SeriesOf = Callable[[Session, int, Filters], Series]
SERIES: dict[str, SeriesOf] = dict(
    zip(SERIES_NAMES, (optins_daily, optins_hourly, saves_by_minute), strict=True)
)


def filters_asked() -> Filters:
    """The query's filters, checked: 422 naming the parameter refused."""
    return parse_filters(**{name: request.args.get(name) for name in FILTER_QUERY})


@bp.get(BASE + "/funnel")
@operation(summary="The funnel: unique fans per step and the rate of the step before",
           tag=TAG, answers={200: "Funnel"}, query=FILTER_QUERY)  # fmt: skip
def stats_funnel(campaign_id: int) -> ResponseReturnValue:
    """Page views, opt-ins, links opened, authorized, saved, delivered, release clicked."""
    asked = filters_asked()
    with unit_of_work() as db:
        tenancy.team_campaign(db, caller().team_id, campaign_id)
        found = stats.funnel(db, campaign_id, asked)
    return jsonify(stats_shapes.funnel(found))


@bp.get(BASE + "/breakdown/<dimension>")
@operation(summary="The funnel per source, channel, country or region, most opt-ins first",
           tag=TAG, answers={200: "Breakdown"}, query=FILTER_QUERY,
           path=DIMENSION_PATH)  # fmt: skip
def stats_breakdown(campaign_id: int, dimension: str) -> ResponseReturnValue:
    """One funnel per value of the dimension (value null: not known)."""
    asked = filters_asked()
    with unit_of_work() as db:
        tenancy.team_campaign(db, caller().team_id, campaign_id)
        found = stats.breakdown(db, campaign_id, dimension, asked)
    return jsonify(stats_shapes.breakdown(found))


@bp.get(BASE + "/series/<name>")
@operation(summary="Opt-ins per day before the release and per hour around it, saves per "
                   "minute in the drop hour (UTC buckets, empty ones as 0)",
           tag=TAG, answers={200: "Series"}, query=FILTER_QUERY, path=SERIES_PATH)  # fmt: skip
def stats_series(campaign_id: int, name: str) -> ResponseReturnValue:
    """One time series of unique fans."""
    if name not in SERIES:
        raise invalid({"name": f"one of {', '.join(SERIES_NAMES)}"})
    asked = filters_asked()
    with unit_of_work() as db:
        tenancy.team_campaign(db, caller().team_id, campaign_id)
        found = SERIES[name](db, campaign_id, asked)
    return jsonify(stats_shapes.series(name, found, asked))


@bp.get(BASE + "/messages")
@operation(summary="Per message: sent, delivered, failed, held, skipped, and the fans who "
                   "opted out or clicked within 24 h", tag=TAG,
           answers={200: "MessageStatsList"})  # fmt: skip
def stats_messages(campaign_id: int) -> ResponseReturnValue:
    """Every scheduled message by send time, with what it did and cost."""
    with unit_of_work() as db:
        tenancy.team_campaign(db, caller().team_id, campaign_id)
        rows = message_stats.for_campaign(db, campaign_id)
    return jsonify(stats_shapes.messages(campaign_id, rows))


@bp.get("/stats/releases")
@operation(summary="The team's last 5 releases side by side: opt-ins, authorization rate, "
                   "saves", tag=TAG, answers={200: "ReleaseComparison"})  # fmt: skip
def stats_releases() -> ResponseReturnValue:
    """Latest release first."""
    with unit_of_work() as db:
        rows = stats.team_comparison(db, caller().team_id)
    return jsonify(stats_shapes.releases(rows))
