"""Public campaign pages (/c/<slug>) and fans' personal links (/p/<code>)."""

from __future__ import annotations

import re

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from core.services import authorization, campaigns, grants, link_pages, links, traffic
from web import csrf
from web.page_support import (
    error_page,
    install_filters,
    not_found,
    page,
    settings,
    spotify_app,
    unit_of_work,
)

bp = Blueprint("fan_pages", __name__)
install_filters(bp)
SLUG_RE = re.compile(r"[a-z0-9-]{1,80}")


def _not_configured() -> ResponseReturnValue:
    return error_page(
        503,
        "Spotify pre-saves aren't switched on yet",
        "This service isn't connected to Spotify yet, so nothing can be saved. Please try later.",
    )


def _ended(card: link_pages.CampaignCard) -> ResponseReturnValue:
    return error_page(410, "This pre-save has ended", f"{card.title} by {card.artist} is closed.")


@bp.get("/c/<slug>")
def campaign_page(slug: str) -> ResponseReturnValue:
    """The page an artist shares: countdown and a Pre-save button; notes the traffic source."""
    if not SLUG_RE.fullmatch(slug):
        return not_found()
    args = request.args
    source = traffic.source_of(args.get("ref"), args.get("utm_source"))
    device = traffic.device_of(request.headers.get("User-Agent"))
    with unit_of_work() as session:
        campaign = campaigns.get_by_slug(session, slug)
        if campaign is None:
            return not_found()
        traffic.record_page_view(
            session, campaign, source, device, args.get("utm_medium"), args.get("utm_campaign")
        )
        card = link_pages.campaign_card(campaign)
    return page(
        "fan/campaign.html",
        card=card,
        source=source,
        in_app=traffic.IN_APP_NAMES.get(device),
        spotify_ready=spotify_app() is not None,
        authorize_href=url_for(".campaign_authorize", slug=slug, src=source),
    )


@bp.get("/c/<slug>/authorize")
def campaign_authorize(slug: str) -> ResponseReturnValue:
    """Send a web visitor to Spotify with a state naming no fan (created from Spotify)."""
    if not SLUG_RE.fullmatch(slug):
        return not_found()
    app = spotify_app()
    if app is None:
        return _not_configured()
    source = traffic.clean_tag(request.args.get("src")) or traffic.DEFAULT_SOURCE
    with unit_of_work() as session:
        campaign = campaigns.get_by_slug(session, slug)
        if campaign is None:
            return not_found()
        card = link_pages.campaign_card(campaign)
    if not card.is_open:
        return _ended(card)
    url = authorization.start_url(app, settings().secret_key, card, fan_id=None, source=source)
    return redirect(url, 302)


@bp.get("/p/<code>")
def fan_link(code: str) -> ResponseReturnValue:
    """A fan's personal link: records the click, shows what pre-saving will do."""
    device = traffic.device_of(request.headers.get("User-Agent"))
    with unit_of_work() as session:
        view = link_pages.open_link(session, code, device)
    if view is None:
        return not_found()
    return page(
        "fan/link.html",
        view=view,
        card=view.campaign,
        in_app=traffic.IN_APP_NAMES.get(device),
        quota=link_pages.quota_blocked(view),
        spotify_ready=spotify_app() is not None,
        csrf_token=csrf.token(),
    )


@bp.get("/p/<code>/authorize")
def fan_authorize(code: str) -> ResponseReturnValue:
    """Send the fan to Spotify with a fresh state bound to them, the campaign and source."""
    app = spotify_app()
    with unit_of_work() as session:
        link = links.find(session, code)
        if link is None:
            return not_found()
        view = link_pages.link_page(session, link)
    if app is None:
        return _not_configured()
    if not view.campaign.is_open:
        return _ended(view.campaign)
    url = authorization.start_url(
        app, settings().secret_key, view.campaign, fan_id=view.fan_id, source=view.source
    )
    return redirect(url, 302)


@bp.post("/p/<code>/disconnect")
def fan_disconnect(code: str) -> ResponseReturnValue:
    """Delete the fan's Spotify tokens and cancel the pre-save (CSRF-checked)."""
    if not csrf.valid():
        return error_page(
            400,
            "That didn't work",
            "Your session has expired. Open your link again and press Disconnect once more.",
        )
    with unit_of_work() as session:
        link = links.find(session, code)
        if link is None:
            return not_found()
        grants.disconnect(session, link)
        view = link_pages.link_page(session, link)
    return page(
        "fan/disconnected.html",
        view=view,
        card=view.campaign,
        spotify_ready=spotify_app() is not None,
    )
