"""The one app factory: builds the Flask app from Settings, binds blueprints."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from core.settings import Settings, load_settings
from web import api, artist, sandbox_console
from web.artwork import bp as artwork_bp
from web.discord_interactions import bp as discord_bp
from web.fan_pages import bp as fan_pages_bp
from web.health import bp as health_bp
from web.oauth import bp as spotify_oauth_bp
from web.phone_optin import bp as phone_optin_bp
from web.program_pages import bp as program_pages_bp
from web.release_redirect import bp as release_redirect_bp
from web.twilio_webhooks import bp as twilio_bp


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; settings default to the environment (and `.env`)."""
    settings = settings or load_settings()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        PRESAVE_SETTINGS=settings,
        MAX_CONTENT_LENGTH=1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
    )
    if settings.trusted_proxies:  # the client's address from X-Forwarded-For, that many hops
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    notice = settings.sandbox_notice

    @app.context_processor
    def sandbox_marker() -> dict[str, str | None]:
        """Every page says when providers are the local stand-ins (sandbox mode)."""
        return {"sandbox_notice": notice}

    app.register_blueprint(health_bp)
    app.register_blueprint(twilio_bp)
    app.register_blueprint(discord_bp)
    app.register_blueprint(fan_pages_bp)
    app.register_blueprint(phone_optin_bp)
    app.register_blueprint(spotify_oauth_bp)
    app.register_blueprint(program_pages_bp)
    app.register_blueprint(artwork_bp)
    app.register_blueprint(release_redirect_bp)
    artist.register(app)  # after the webhooks: it exempts their blueprints from CSRF
    api.register(app)  # after the artist app: the API is exempt from its CSRF check
    sandbox_console.register(app, settings)
    return app


def settings_of(app: Flask) -> Settings:
    """The Settings an app was built with."""
    settings: Settings = app.config["PRESAVE_SETTINGS"]
    return settings
