"""The sandbox console (`/sandbox/...`): a phone, a Discord server and a clock to run the
whole story on a laptop. Registered only in sandbox mode, never in production.

Each page lives in its own module and adds its routes to `bp`: `pages` (the index),
`phone` (`/sandbox/phone`), `discord_sim` (`/sandbox/discord`), `clock` (`/sandbox/clock`).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from core.settings import Settings

bp = Blueprint("sandbox_console", __name__, url_prefix="/sandbox")


SANDBOXED_ALL = frozenset({"spotify", "twilio", "discord"})


def console_enabled(settings: Settings) -> bool:
    """The console exists when every provider is the local stand-in (no real credentials at
    all), and never in production: its phone, server and clock act on the stand-ins."""
    return set(settings.sandboxed) >= SANDBOXED_ALL and not settings.is_production


def register(app: Flask, settings: Settings) -> None:
    """Add the console's pages to `app` in sandbox mode; otherwise /sandbox/... is a 404."""
    app.config["SANDBOX_CONSOLE"] = console_enabled(settings)
    if not app.config["SANDBOX_CONSOLE"]:
        return
    from web.sandbox_console import clock, discord_sim, pages, phone  # noqa: F401  (routes)

    app.register_blueprint(bp)
