"""Sandbox console: /discord (placeholder until its page is written)."""

from __future__ import annotations

from flask import render_template

from web.sandbox_console import bp


@bp.get("/discord")
def discord() -> str:
    """Placeholder: the index."""
    return render_template("sandbox/index.html")
