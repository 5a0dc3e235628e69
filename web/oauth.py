"""GET /oauth/spotify/callback: Spotify sends the fan back here with a code and our state."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from core import queues, runtime
from core.services import authorization
from web import oauth_cookie
from web.outcomes import respond
from web.page_support import cipher, install_filters, settings, spotify_app, unit_of_work
from workers import entry

bp = Blueprint("spotify_oauth", __name__)
install_filters(bp)


@bp.get("/oauth/spotify/callback")
def callback() -> ResponseReturnValue:
    """Check and spend the state, exchange the code, store the grant; say how it went."""
    result = authorization.complete(
        unit_of_work,
        app=spotify_app(),
        secret_key=settings().secret_key,
        cipher=cipher(),
        params=request.args,
        browser=oauth_cookie.current(),
    )
    if result.role_grants:  # left to reconcile when Redis is down: the database has them
        grants = list(result.role_grants)
        runtime.enqueue_quietly(settings(), queues.DISCORD, entry.grant_roles, grants)
    if result.save_now and result.card:  # after the drop: saved now (a claim makes it once)
        saves = list(result.save_now)
        runtime.enqueue_quietly(settings(), queues.SAVES, entry.save_chunk, result.card.id, saves)
    return respond(result)
