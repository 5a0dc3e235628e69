"""The sandbox console (`/sandbox/...`): a phone, a Discord server and a clock to run the
whole story on a laptop. Registered only in sandbox mode, never in production.

Each page lives in its own module and adds its routes to `bp`: `pages` (the index),
`phone` (`/sandbox/phone`), `discord_sim` (`/sandbox/discord`), `clock` (`/sandbox/clock`).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from core.settings import Settings

bp = Blueprint("sandbox_console", __name__, url_prefix="/sandbox")


def console_enabled(settings: Settings) -> bool:
    """The console exists when some provider is the local stand-in, and never in production."""
    return bool(settings.sandboxed) and not settings.is_production


def register(app: Flask, settings: Settings) -> None:
    """Add the console's pages to `app` in sandbox mode; otherwise /sandbox/... is a 404."""
    app.config["SANDBOX_CONSOLE"] = console_enabled(settings)
    if not app.config["SANDBOX_CONSOLE"]:
        return
    from web.sandbox_console import clock, discord_sim, pages, phone  # noqa: F401  (routes)

    app.register_blueprint(bp)
