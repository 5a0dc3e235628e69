"""Drop day: the live status page, its JSON for polling, and `mark live` behind a
confirmation (blueprint `artist_drop`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from core import queues, runtime
from core.services import drop_mark, drop_status
from core.timeutil import utcnow
from core.validation import ValidationError
from web.artist.context import campaign_or_404, current_team_id, current_user_id, login_required
from web.artist.drop_forms import MarkLiveForm
from web.page_support import page, settings, unit_of_work
from workers import entry

bp = Blueprint("artist_drop", __name__)
TEMPLATE = "artist/drop/status.html"
QUEUE_DOWN_TEMPLATE = "artist/drop/queue_down.html"
# The rare case where the queue answered before marking and went away just after.
QUEUE_LOST = (
    "Marked live in {markets}, but the drop could not be started: the job queue (Redis) "
    "stopped answering. The release is recorded as live, so the workers start the drop on "
    "their own within a minute of the queue coming back; tell the operator Redis is down."
)


@bp.app_template_filter("iso_in_zone")
def iso_in_zone(value: str | None, zone: str) -> str:
    """An ISO time from drop_status in the campaign's zone ("" for None)."""
    from web.artist import in_zone  # the package imports this module first

    return in_zone(datetime.fromisoformat(value), zone) if value else ""


def drop_page(campaign_id: int, form: MarkLiveForm, status: int = 200) -> ResponseReturnValue:
    """The status page with the mark-live form (and its error, if any)."""
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        figures = drop_status.status(db, campaign.id, utcnow())
        return page(TEMPLATE, status, campaign=campaign, drop=figures, form=form)


def market_refused(
    campaign_id: int, form: MarkLiveForm, exc: ValidationError
) -> ResponseReturnValue:
    """The drop page again (400) with the reason next to the market field, as typed."""
    form.market.errors = [exc.accepted[0].upper() + exc.accepted[1:] + "."]
    return drop_page(campaign_id, form, 400)


@bp.get("/app/campaigns/<int:campaign_id>/drop")
@login_required
def drop_view(campaign_id: int) -> ResponseReturnValue:
    """Where the release is live, the save pace, the drop messages; a mark-live form."""
    return drop_page(campaign_id, MarkLiveForm(formdata=None))


@bp.get("/app/campaigns/<int:campaign_id>/drop.json")
@login_required
def drop_json(campaign_id: int) -> ResponseReturnValue:
    """drop_status.status as JSON, for the page's poll; never cached."""
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        response = jsonify(drop_status.status(db, campaign.id, utcnow()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/app/campaigns/<int:campaign_id>/drop/mark-live")
@login_required
def mark_live_confirm(campaign_id: int) -> ResponseReturnValue:
    """Name the market(s) and the fans before anything is marked."""
    form = MarkLiveForm(request.args, meta={"csrf": False})
    try:
        with unit_of_work() as db:
            campaign = campaign_or_404(db, campaign_id)
            summary = drop_mark.confirm(db, campaign, form.market.data)
            return page("artist/drop/confirm.html", campaign=campaign, summary=summary, form=form)
    except ValidationError as exc:
        return market_refused(campaign_id, form, exc)


@bp.post("/app/campaigns/<int:campaign_id>/drop/mark-live")
@login_required
def mark_live(campaign_id: int) -> ResponseReturnValue:
    """Mark it live as `presave release mark-live` does, then start the drop's fan-out."""
    form = MarkLiveForm()
    try:
        with unit_of_work() as db:
            campaign = campaign_or_404(db, campaign_id)
            command = drop_mark.cli_command(campaign, form.market.data)
            if not drop_mark.queue_reachable(settings()):
                return queue_down(campaign, command)
            done = drop_mark.mark_live(
                db, campaign, form.market.data, utcnow(), current_team_id(), current_user_id()
            )
    except ValidationError as exc:
        return market_refused(campaign_id, form, exc)
    summary = done.summary
    if start_drop(campaign_id, done.new_markets):
        flash(
            f"Marked live in {summary.markets_text}: saving the release for {summary.fans:,} fans."
        )
    else:
        flash(QUEUE_LOST.format(markets=summary.markets_text))
    return redirect(url_for("artist_drop.drop_view", campaign_id=campaign_id))


def start_drop(campaign_id: int, markets: list[str]) -> bool:
    """Queue the drop's start for the newly live markets; False when the queue is gone."""
    if not markets:
        return True
    return runtime.enqueue_quietly(
        settings(), queues.DEFAULT, entry.start_live, campaign_id, markets
    )


def queue_down(campaign: Any, command: str) -> ResponseReturnValue:
    """503: the job queue can't be reached, so nothing was marked; what to run instead."""
    return page(QUEUE_DOWN_TEMPLATE, 503, campaign=campaign, command=command)
