"""Who is calling: the bearer token checked on every API request before its view runs,
then its rate limit and, for a change, its scope."""

from __future__ import annotations

from flask import current_app, g, request

from core.services import api_tokens
from core.services.api_tokens import Caller
from core.timeutil import utcnow
from web.api.problems import Problem
from web.api.ratelimit import READ_LIMIT, WRITE_LIMIT, TokenLimits
from web.page_support import unit_of_work

REALM = 'Bearer realm="presave API"'
READS = frozenset({"GET", "HEAD", "OPTIONS"})
LIMITS_KEY = "PRESAVE_API_LIMITS"


def unauthorized(detail: str, bad_token: bool) -> Problem:
    """401 with the challenge RFC 6750 asks for."""
    challenge = REALM + (', error="invalid_token"' if bad_token else "")
    return Problem(401, detail, headers={"WWW-Authenticate": challenge})


def bearer() -> str:
    """The token of the Authorization header; 401 when there is none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Send an API token: `Authorization: Bearer psv_...`.", False)
    return token.strip()


def check_rate(raw: str, write: bool) -> None:
    """429 with Retry-After when the token is over its limit (counted by the token's hash,
    which no other token or database shares)."""
    limits: TokenLimits = current_app.extensions[LIMITS_KEY]
    config = current_app.config
    limit = config["API_WRITE_LIMIT"] if write else config["API_READ_LIMIT"]
    wait = limits.retry_after(api_tokens.digest(raw)[:32], "write" if write else "read", limit)
    if wait is not None:
        raise Problem(
            429,
            f"This token's limit is {limit}: try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )


def authenticate() -> None:
    """The blueprint's before_request: the caller in `g.caller`, or a problem."""
    view = current_app.view_functions.get(request.endpoint or "")
    op = getattr(view, "api_operation", None)
    if op is not None and op.public:
        return  # the document and its page; every other view needs a token
    raw = bearer()
    with unit_of_work() as db:
        caller = api_tokens.authenticate(db, raw, utcnow())
    if caller is None:
        raise unauthorized("This API token is unknown or revoked.", True)
    write = request.method not in READS
    check_rate(raw, write)
    if write and not caller.may_write:
        raise Problem(403, "This token is read-only: an owner can make a write token.")
    g.caller = caller


def caller() -> Caller:
    """The token the request came with (views run after `authenticate`)."""
    found: Caller = g.caller
    return found


def install_limits(app_config: dict[str, object], storage_uri: str) -> TokenLimits:
    """Default limits in the app's config (tests may lower them), and the counter."""
    app_config.setdefault("API_READ_LIMIT", READ_LIMIT)
    app_config.setdefault("API_WRITE_LIMIT", WRITE_LIMIT)
    return TokenLimits(storage_uri)
