"""The team's campaigns: the list, a new campaign, the keyword check and the overview
(blueprint `artist_campaigns`; edit and close in campaign_changes, Discord in
campaign_discord add their views to it)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from core.services import (
    audit,
    campaign_edit,
    campaigns,
    quota_mode,
    reconnect_asks,
    spotify_quota,
    team_campaigns,
    tenancy,
)
from core.services import campaign_overview as overview
from core.services.campaign_fields import FieldErrors
from core.timeutil import utcnow
from web.artist.campaign_forms import COMMON_ZONES, NewCampaignForm, place_errors
from web.artist.context import (
    campaign_or_404,
    current_team_id,
    current_user_id,
    go,
    login_required,
)
from web.page_support import page, settings, unit_of_work

bp = Blueprint("artist_campaigns", __name__)
bp.add_app_template_filter(team_campaigns.countdown, "countdown")


def form_page(
    template: str, form: FlaskForm, errors: dict[str, str] | None = None, **ctx: object
) -> Response:
    """A form page: 400 with each refusal next to its field (input kept), 200 the first time."""
    form_error = place_errors(form, errors or {})
    status = 400 if form.is_submitted() else 200
    return page(template, status, form=form, form_error=form_error, zones=COMMON_ZONES, **ctx)


def _new_notice() -> quota_mode.AutoSave:
    return quota_mode.for_new_campaign(settings())


@bp.get("/app/")
def home() -> ResponseReturnValue:
    """The app's front door is the campaign list."""
    return go("artist_campaigns.campaign_list")


@bp.get("/app/campaigns")
@login_required
def campaign_list() -> ResponseReturnValue:
    """The current team's campaigns."""
    now = utcnow()
    with unit_of_work() as db:
        artist_ids = tenancy.team_artist_ids(db, current_team_id())
        rows = overview.overview(db, artist_ids, now)
    return page("artist/campaigns/list.html", campaigns=rows, now=now)


@bp.route("/app/campaigns/new", methods=["GET", "POST"])
@login_required
def campaign_new() -> ResponseReturnValue:
    """`presave campaign create` as a form; the artist joins the signed-in team."""
    form = NewCampaignForm()
    if not form.validate_on_submit():
        return form_page("artist/campaigns/new.html", form, auto_save=_new_notice())
    try:
        with unit_of_work() as db:
            made = team_campaigns.create(
                db, current_team_id(), current_user_id(), form.draft(), utcnow()
            )
            campaign_id, title = made.id, made.title
    except FieldErrors as exc:
        return form_page("artist/campaigns/new.html", form, exc.errors, auto_save=_new_notice())
    flash(f"{title} is created.")
    return redirect(url_for("artist_campaigns.campaign_overview", campaign_id=campaign_id))


@bp.get("/app/keyword-check")
@login_required
def keyword_check() -> ResponseReturnValue:
    """Whether a keyword is free (the form asks as the artist types): {available, reason}."""
    keyword = request.args.get("keyword", "")[:100]
    campaign_id = request.args.get("campaign", type=int)
    with unit_of_work() as db:
        if campaign_id is not None:
            campaign_or_404(db, campaign_id)
        free = campaign_edit.keyword_available(db, keyword, campaign_id)
    response = jsonify(available=free.available, reason=free.reason)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/app/campaigns/<int:campaign_id>")
@login_required
def campaign_overview(campaign_id: int) -> ResponseReturnValue:
    """One campaign: key facts, status, counts, public link, and its audit log."""
    with unit_of_work() as db:
        campaign, now = campaign_or_404(db, campaign_id), utcnow()
        return page(
            "artist/campaigns/overview.html",
            campaign=campaign,
            row=team_campaigns.summary(db, campaign_id, now),
            now=now,
            audit_lines=audit.for_campaign(db, campaign.id),
            auto_save=quota_mode.for_campaign(db, settings(), campaign.id),
            quota_stop=spotify_quota.notice(db, campaign.id),
            reconnects=reconnect_asks.counts(db, campaign, now),
            link=campaigns.campaign_public_link(settings().public_url, campaign),
        )
