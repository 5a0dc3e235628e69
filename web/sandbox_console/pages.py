"""The console's index: what you can try, and where."""

from __future__ import annotations

from flask import render_template

from web.sandbox_console import bp


@bp.get("/")
def index() -> str:
    """Links to the phone, the Discord server and the clock."""
    return render_template("sandbox/index.html")
