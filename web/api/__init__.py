"""The public JSON API under /api/v1: team API tokens (bearer), rate limits per token,
RFC 9457 problem+json for every error, and an OpenAPI 3.1 document generated from the views.

`register(app)` is called after the artist app's: it exempts this blueprint from the
browser forms' CSRF check (requests carry a bearer token, not a cookie).

A new group of endpoints (the campaign stats, under /campaigns/<id>/stats/...) is a module
adding views to `bp` with `@operation(...)`, imported in `register`, its schemas added to
web.api.schemas.COMPONENTS: token, limits, problem+json, the document, the docs page, the
schemathesis run and the tenancy walk then cover it with no more wiring."""

from __future__ import annotations

from flask import Blueprint, Flask, Response
from flask.typing import ResponseReturnValue

from core.services.artist_messages import UnknownMessage
from core.services.tenancy import NotInTeam
from core.validation import ValidationError
from web.api import auth
from web.api.problems import PREFIX, Problem, response

bp = Blueprint("api", __name__, url_prefix=PREFIX)


def refused(exc: ValidationError) -> ResponseReturnValue:
    """A core check's refusal: 422 naming each field as the request named it."""
    from web.api.fields import refused as in_api_terms

    return response(in_api_terms(exc))


def not_found(_exc: LookupError) -> ResponseReturnValue:
    """Another team's campaign, or no such message: the same 404 as a missing one."""
    return response(Problem(404, "There is no such resource, or it belongs to another team."))


def too_large_id(endpoint: str | None, values: dict[str, object] | None) -> None:
    """An id no row can have (past 2^31 - 1) names nothing: 404 before any query."""
    from web.api.schemas import MAX_ID

    if any(isinstance(v, int) and v > MAX_ID for v in (values or {}).values()):
        raise Problem(404, "There is no such resource, or it belongs to another team.")


bp.register_error_handler(ValidationError, refused)
bp.register_error_handler(NotInTeam, not_found)
bp.register_error_handler(UnknownMessage, not_found)
bp.url_value_preprocessor(too_large_id)
bp.before_request(auth.authenticate)


@bp.after_request
def private(response: Response) -> Response:
    """A team's data is never cached on the way."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def register(app: Flask) -> None:
    """Add the API to `app`: its views, token checks, limits, errors; no CSRF for it."""
    from web.api import campaigns, docs, fans, messages, problems, sender, stats
    from web.artist import limiter_storage

    del campaigns, docs, fans, messages, sender, stats  # imported for the views they add
    app.register_blueprint(bp)
    app.extensions["csrf"].exempt(bp)
    settings = app.config["PRESAVE_SETTINGS"]
    app.extensions[auth.LIMITS_KEY] = auth.install_limits(app.config, limiter_storage(settings))
    problems.install(app)
