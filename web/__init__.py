"""Flask app factory and blueprints."""

from web.app import create_app

__all__ = ["create_app"]
