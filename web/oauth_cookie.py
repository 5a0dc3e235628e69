"""The cookie that binds a Spotify sign-in to the browser that started it (login CSRF)."""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from core.services import oauth_state
from web.page_support import settings

COOKIE = "presave_oauth"
# A little longer than a state lives, renewed at each start.
MAX_AGE_SECONDS = int((oauth_state.MAX_AGE + oauth_state.CLOCK_SKEW).total_seconds())


def current() -> str | None:
    """The nonce this browser sent back, if any."""
    return request.cookies.get(COOKIE)


def for_start() -> str:
    """The nonce to bind a new state to: this browser's own, or a fresh one."""
    return oauth_state.browser_nonce(current())


def attach(response: Response, nonce: str) -> Response:
    """Keep `nonce` in the browser: HttpOnly, SameSite=Lax, Secure when we are served on https."""
    response.set_cookie(
        COOKIE,
        nonce,
        max_age=MAX_AGE_SECONDS,
        path="/",
        secure=settings().public_url.startswith("https://"),
        httponly=True,
        samesite="Lax",
    )
    return response
