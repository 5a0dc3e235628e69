"""GET /oauth/spotify/callback: check the state, exchange the code, store the grant."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, request, url_for
from flask.typing import ResponseReturnValue

from core.providers import ProviderError, QuotaRestricted, Revoked, spotify
from core.services import authorization, grants, link_pages, links, oauth_state
from core.services.grant_tokens import GrantTokenCache
from web import csrf
from web.page_support import cipher, error_page, install_filters, page, settings, unit_of_work

log = logging.getLogger(__name__)
bp = Blueprint("spotify_oauth", __name__)
install_filters(bp)
CODE_RE = re.compile(r"[A-Za-z0-9_.~-]{1,1024}")
STATE_PROBLEMS = {
    "tampered": "This sign-in link isn't valid.",
    "expired": "This sign-in link expired (they last 15 minutes).",
    "replayed": "This sign-in link was already used.",
}


def _retry_href(claim: authorization.Claim) -> str:
    """Where 'try again' goes: the fan's own link, or the public page with the same source."""
    if claim.link_code:
        return url_for("fan_pages.fan_link", code=claim.link_code)
    return url_for("fan_pages.campaign_page", slug=claim.campaign.slug, ref=claim.state.source)


@bp.get("/oauth/spotify/callback")
def callback() -> ResponseReturnValue:
    """Spotify sends the fan back here with a code (or an error) and our state."""
    try:
        state = oauth_state.read(settings().secret_key, request.args.get("state"))
    except oauth_state.BadState as exc:
        return error_page(400, "Let's try that again", STATE_PROBLEMS[exc.reason])
    app = spotify.app_from_settings(settings())
    if app is None:
        return error_page(503, "Spotify isn't set up here", "Nothing was saved.")
    try:
        with unit_of_work() as session:
            claim = authorization.claim(session, state)
    except oauth_state.BadState as exc:
        return error_page(400, "Let's try that again", STATE_PROBLEMS[exc.reason])
    except LookupError:
        return error_page(400, "Let's try that again", "This pre-save no longer exists.")
    retry = _retry_href(claim)
    error, code = request.args.get("error"), request.args.get("code") or ""
    if error == "access_denied":
        return page("fan/denied.html", card=claim.campaign, retry_href=retry)
    if error or not CODE_RE.fullmatch(code):
        return error_page(
            400, "Spotify didn't finish", "Nothing was saved.", card=claim.campaign, retry=retry
        )

    tokens = GrantTokenCache(cipher())
    try:
        access_token = spotify.exchange_code(app, claim.campaign.scopes, tokens, code)
        user = spotify.current_user(app, access_token)
    except QuotaRestricted:
        with unit_of_work() as session:
            grants.record_quota(session, state)
        return page("fan/quota.html", card=claim.campaign, known_fan=claim.link_code is not None)
    except Revoked:
        return error_page(400, "That sign-in was already used", "Nothing was saved.", retry=retry)
    except ProviderError as exc:
        log.warning("spotify callback failed for campaign %s: %s", state.campaign_id, exc)
        return error_page(
            502, "Spotify isn't answering", "Nothing was saved. Please try again.", retry=retry
        )

    with unit_of_work() as session:
        done = grants.store_authorization(session, state, user, tokens)
        link = links.find(session, done.link_code)
        assert link is not None
        view = link_pages.link_page(session, link)
    return page("fan/connected.html", view=view, card=view.campaign, csrf_token=csrf.token())
