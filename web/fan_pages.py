"""Public campaign pages (/c/<slug>) and fans' personal links (/p/<code>)."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from core.services import authorization, link_pages, quota_mode, traffic
from web import oauth_cookie
from web.outcomes import respond
from web.page_support import (
    install_filters,
    not_found,
    page,
    settings,
    spotify_app,
    unit_of_work,
)

bp = Blueprint("fan_pages", __name__)
install_filters(bp)


@bp.get("/c/<slug>")
def campaign_page(slug: str) -> ResponseReturnValue:
    """The page an artist shares: countdown and a Pre-save button; notes the traffic source."""
    args, agent = request.args, request.headers.get("User-Agent")
    source = traffic.source_of(args.get("ref"), args.get("utm_source"), args.get("src"))
    device = traffic.device_of(agent)
    with unit_of_work() as session:
        card = link_pages.open_campaign(
            session,
            slug,
            source=source,
            device=device,
            utm_medium=args.get("utm_medium"),
            utm_campaign=args.get("utm_campaign"),
            record=traffic.counts_as_visit(agent, request.method),
        )
    if card is None:
        return not_found()
    return page(
        "fan/campaign.html",
        card=card,
        source=source,
        in_app=traffic.IN_APP_NAMES.get(device),
        spotify_ready=spotify_app() is not None,
        alert_first=quota_mode.alert_first(settings()),
        authorize_href=url_for(".campaign_authorize", slug=slug, src=source),
    )


@bp.get("/c/<slug>/authorize")
def campaign_authorize(slug: str) -> ResponseReturnValue:
    """Send a web visitor to Spotify; the fan is created from their Spotify id afterwards."""
    source = traffic.clean_tag(request.args.get("src")) or traffic.DEFAULT_SOURCE
    if quota_mode.alert_first(settings()):  # an unknown visitor cannot be on the allow-list
        return redirect(url_for(".campaign_page", slug=slug, src=source))
    browser = oauth_cookie.for_start()
    with unit_of_work() as session:
        result = authorization.start_for_campaign(
            session, spotify_app(), settings().secret_key, slug, source, browser=browser
        )
    return respond(result, browser)


@bp.get("/p/<code>")
def fan_link(code: str) -> ResponseReturnValue:
    """A fan's personal link: records the click, shows what pre-saving will do."""
    agent = request.headers.get("User-Agent")
    device = traffic.device_of(agent)
    with unit_of_work() as session:
        view = link_pages.open_link(
            session, code, device, record=traffic.counts_as_visit(agent, request.method)
        )
        auto_save = quota_mode.link_can_auto_save(session, settings(), code)
    if view is None:
        return not_found()
    return page(
        "fan/link.html",
        view=view,
        card=view.campaign,
        in_app=traffic.IN_APP_NAMES.get(device),
        quota=link_pages.quota_blocked(view),
        alert_first=not auto_save,
        spotify_ready=spotify_app() is not None,
    )


@bp.get("/p/<code>/authorize")
def fan_authorize(code: str) -> ResponseReturnValue:
    """Send the fan to Spotify with a fresh state bound to them, campaign, source and browser."""
    with unit_of_work() as session:
        auto_save = quota_mode.link_can_auto_save(session, settings(), code)
    if not auto_save:  # never send a fan Spotify would refuse (development mode)
        return redirect(url_for(".fan_link", code=code))
    browser = oauth_cookie.for_start()
    with unit_of_work() as session:
        result = authorization.start_for_link(
            session, spotify_app(), settings().secret_key, code, browser=browser
        )
    return respond(result, browser)


@bp.post("/p/<code>/disconnect")
def fan_disconnect(code: str) -> ResponseReturnValue:
    """Delete the fan's Spotify tokens and cancel the pre-save (CSRF-checked)."""
    with unit_of_work() as session:
        view = link_pages.disconnect(session, code)
    if view is None:
        return not_found()
    return page(
        "fan/disconnected.html",
        view=view,
        card=view.campaign,
        spotify_ready=spotify_app() is not None,
    )
