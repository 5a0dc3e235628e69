"""What the fan-facing pages share: settings, database unit of work, rendering, headers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, make_response, render_template
from sqlalchemy.orm import Session

from core.crypto import TokenCipher
from core.db import transaction
from core.providers import spotify
from core.settings import Settings

# Scripts and styles are our own files; artwork may come from the artist's https CDN.
CSP = (
    "default-src 'self'; img-src 'self' https: data:; script-src 'self'; style-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SCOPE_WORDS = {
    spotify.SCOPE_LIBRARY: "add the release to your library",
    spotify.SCOPE_FOLLOW: "follow the artist for you",
    spotify.SCOPE_PROFILE: (
        "read your account details; we keep only your Spotify id and country, "
        "so the save runs when the release is out where you are"
    ),
}


def settings() -> Settings:
    """The settings of the running app."""
    value: Settings = current_app.config["PRESAVE_SETTINGS"]
    return value


def spotify_app() -> spotify.SpotifyApp | None:
    """Our Spotify app, or None when Spotify is not configured (sandbox mode)."""
    return spotify.app_from_settings(settings())


def cipher() -> TokenCipher:
    """The token cipher over TOKEN_ENCRYPTION_KEY (newest key first)."""
    return TokenCipher(settings().token_encryption_keys)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction for this step of the request: commit on success."""
    with transaction(settings().database_url) as session:
        yield session


def iso_utc(value: datetime) -> str:
    """An ISO 8601 UTC timestamp for scripts (`2026-12-04T05:00:00Z`)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_text(value: datetime) -> str:
    """A readable UTC time, shown until the script writes the visitor's local time."""
    moment = value.astimezone(UTC)
    return f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M} UTC"


def scope_words(scope: str) -> str:
    """What a Spotify scope lets us do, in plain words."""
    return SCOPE_WORDS.get(scope, scope)


def install_filters(bp: Blueprint) -> None:
    """Template filters and globals the fan pages use."""
    bp.add_app_template_filter(iso_utc, "iso_utc")
    bp.add_app_template_filter(utc_text, "utc_text")
    bp.add_app_template_global(scope_words, "scope_words")


def page(template: str, status: int = 200, **context: Any) -> Response:
    """Render a fan page with our security headers; never cached (links are personal)."""
    context.setdefault("show_dev_hints", not settings().is_production)
    response = make_response(render_template(template, **context), status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(status: int, title: str, message: str, **context: Any) -> Response:
    """A friendly page for something that went wrong."""
    return page("fan/error.html", status, title=title, message=message, **context)


def not_found() -> Response:
    """The 404 for an unknown or malformed link."""
    return error_page(
        404,
        "We couldn't find that link",
        "Check that you opened the whole link from your message, or ask the artist for it again.",
    )
