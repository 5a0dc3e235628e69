"""The artist web app under /app: sign-in, teams, and the page shell other pages extend.

`register(app)` binds what the whole app shares: Flask-Login, CSRF protection for every
browser form (the signed provider webhooks are exempt) and the sign-in rate limits."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from core import runtime
from core.settings import Settings
from web.artist import (
    analytics,
    auth,
    campaign_changes,
    campaign_discord,
    campaigns,
    context,
    drop,
    exports,
    fans,
    limit_store,
    messages,
    sender,
    team,
    tokens,
)
from web.artist.pages import any_error, artist_error

log = logging.getLogger(__name__)
SIGN_IN_PER_IP = "20/minute"
SIGN_IN_PER_EMAIL = "5/minute"
# The forms that check a password: each guess costs the address and the email one try.
LIMITED_BLUEPRINT = "artist_auth"
LIMITED_ENDPOINTS: tuple[str, ...] = (
    f"{LIMITED_BLUEPRINT}.sign_in",
    f"{LIMITED_BLUEPRINT}.accept_invite",
    f"{LIMITED_BLUEPRINT}.forgot",  # mails a reset link: each ask costs one try too
)
APP_ERRORS = {
    403: ("You can't open this", "Your account is not in a team that can see this page."),
    404: ("We couldn't find that", "There is no such page, or it belongs to another team."),
}
# Forms posted by browsers are checked; these are signed by their provider instead.
EXEMPT_BLUEPRINTS = ("twilio", "discord")


def limiter_storage(settings: Settings) -> str:
    """The limits library's URI for our Redis (the embedded server listens on a socket)."""
    url = runtime.redis_url(settings)
    return "redis+" + url if url.startswith("unix://") else url


def email_key() -> str:
    """The per-account key: the email as typed, lowercased (sign-in form)."""
    return "email:" + (request.form.get("email") or "").strip().lower()[:254]


def too_many(_error: Exception) -> ResponseReturnValue:
    """429: say to wait, in the artist app's words."""
    return any_error(
        429, "Too many tries", "Too many sign-in attempts. Wait a minute, then try again."
    )


def bad_token(_error: CSRFError) -> ResponseReturnValue:
    """A form posted without this session's token (expired page, or another site's form)."""
    return any_error(
        400,
        "That didn't work",
        "Your session has expired. Open the page again and send the form once more.",
    )


def app_http_error(error: HTTPException) -> ResponseReturnValue:
    """403 and 404 under /app in the app's layout, with our headers; elsewhere as before."""
    if not request.path.startswith("/app/") or error.code not in APP_ERRORS:
        return error
    title, message = APP_ERRORS[error.code]
    return artist_error(error.code, title, message)


def in_zone(value: datetime, zone: str) -> str:
    """A UTC time written in an IANA zone, e.g. `Fri 5 Mar 2027, 00:00 EST`."""
    try:
        local = value.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        local = value
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M %Z} ({zone})"


def register(app: Flask) -> None:
    """Bind login, CSRF and rate limits to `app` and add the artist blueprints."""
    settings: Settings = app.config["PRESAVE_SETTINGS"]
    app.config.update(
        REMEMBER_COOKIE_SECURE=settings.public_url.startswith("https://"),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session cookie
        # Our pages send `Referrer-Policy: no-referrer`, so browsers post without a Referer:
        # Flask-WTF's HTTPS referrer check would refuse every form. The session-bound token
        # and the SameSite=Lax session cookie are what stop cross-site posts.
        WTF_CSRF_SSL_STRICT=False,
    )
    login = LoginManager(app)
    login.login_view = "artist_auth.sign_in"
    login.login_message = "Sign in to see that page."
    login.user_loader(context.load_user)

    csrf = CSRFProtect(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(campaigns.bp)
    app.register_blueprint(messages.bp)
    app.register_blueprint(fans.bp)
    app.register_blueprint(drop.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(analytics.bp)
    for name in EXEMPT_BLUEPRINTS:
        csrf.exempt(app.blueprints[name])
    app.register_error_handler(CSRFError, bad_token)
    app.register_error_handler(429, too_many)
    for code in APP_ERRORS:
        app.register_error_handler(code, app_http_error)
    app.add_template_filter(in_zone, "in_zone")

    # Fail open: when Redis is unreachable sign-in goes through, so an outage of Redis never
    # locks every artist out (argon2 still makes guessing slow); limit_store logs it once.
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=limiter_storage(settings),
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1},
        swallow_errors=False,
        key_prefix="presave-limit",
        headers_enabled=False,
    )
    limiter.init_app(app)
    # Flask-Limiter checks in an app-wide before_request hook, about 50 µs on every request,
    # the webhooks' included; only the sign-in blueprint has limits, so the check runs there.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    limit_store.guard(limiter)
    app.before_request_funcs.setdefault(LIMITED_BLUEPRINT, []).append(limiter._check_request_limit)
    per_email = limiter.limit(SIGN_IN_PER_EMAIL, key_func=email_key, methods=["POST"])
    per_ip = limiter.limit(SIGN_IN_PER_IP, methods=["POST"])
    for endpoint in LIMITED_ENDPOINTS:
        app.view_functions[endpoint] = per_ip(per_email(app.view_functions[endpoint]))  # type: ignore[assignment]


# they add views on import
__all__ = ["campaign_changes", "campaign_discord", "register", "sender", "team", "tokens"]
