"""The release link of drop messages (GET /r/<code>): note the click, go to Spotify."""

from __future__ import annotations

from flask import Blueprint, redirect, request
from flask.typing import ResponseReturnValue

from core.services import release_link, traffic
from web.page_support import not_found, settings, unit_of_work

bp = Blueprint("release_redirect", __name__)


@bp.get("/r/<code>")
def release(code: str) -> ResponseReturnValue:
    """A fan's click on the release in their drop message: recorded (people only), 302."""
    counts = traffic.counts_as_visit(request.headers.get("User-Agent"), request.method)
    with unit_of_work() as session:
        target = release_link.open_release(
            session, settings().public_url, code, request.args.get("via"), record=counts
        )
    if target is None:
        return not_found()
    response = redirect(target, 302)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/r/c/<slug>")
def announced_release(slug: str) -> ResponseReturnValue:
    """A click on the release in a Discord channel post (no single fan): recorded, 302."""
    counts = traffic.counts_as_visit(request.headers.get("User-Agent"), request.method)
    with unit_of_work() as session:
        target = release_link.open_announced_release(
            session, settings().public_url, slug, request.args.get("via"), record=counts
        )
    if target is None:
        return not_found()
    response = redirect(target, 302)
    response.headers["Cache-Control"] = "no-store"
    return response
