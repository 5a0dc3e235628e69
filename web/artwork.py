"""GET /artwork/<name>: a campaign's uploaded cover art (public, cached for a year)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask.typing import ResponseReturnValue

from core.services import artwork

bp = Blueprint("artwork", __name__)
YEAR = 365 * 24 * 3600


@bp.get("/artwork/<name>")
def image(name: str) -> ResponseReturnValue:
    """A kept image under its own type; the name is its content hash, so it never changes."""
    found = artwork.stored_file(current_app.config["PRESAVE_SETTINGS"].instance_path, name)
    if found is None:
        abort(404)
    path, content_type = found
    response = send_file(path, mimetype=content_type, max_age=YEAR, conditional=True)
    response.cache_control.immutable = True
    response.cache_control.public = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
