"""Sandbox console: /clock (placeholder until its page is written)."""

from __future__ import annotations

from flask import render_template

from web.sandbox_console import bp


@bp.get("/clock")
def clock() -> str:
    """Placeholder: the index."""
    return render_template("sandbox/index.html")
