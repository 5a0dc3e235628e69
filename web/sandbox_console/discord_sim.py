"""Sandbox console: /discord, the demo server. Run a slash command as one of its members,
read the bot's answer, and watch roles, DMs and announcement posts arrive."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from core.sandbox_address import SandboxNotRunning
from core.services import sandbox_discord
from core.services.sandbox_discord import Answer, SimulatorError
from web.page_support import page, settings
from web.sandbox_console import bp

FORM_FIELDS = ("member", "command", "campaign", "channel", "role")


def _page(
    form: dict[str, str], answer: Answer | None = None, error: SimulatorError | None = None
) -> Response:
    """The simulator page; 422 with the field named when the command was refused."""
    try:
        server = sandbox_discord.server(settings())
    except SandboxNotRunning as exc:
        return page("sandbox/discord.html", 503, server=None, problem=str(exc), form=form)
    status = 422 if error is not None else 200
    context: dict[str, Any] = {"server": server, "answer": answer, "error": error, "form": form}
    return page("sandbox/discord.html", status, **context)


@bp.get("/discord")
def discord() -> Response:
    """The demo server, with the first member picked."""
    return _page({"command": "presave"})


@bp.post("/discord")
def discord_run() -> Response:
    """Run the command the form names; the page shows the ephemeral answer."""
    form = {name: request.form.get(name, "")[:200] for name in FORM_FIELDS}
    try:
        answer = sandbox_discord.run(settings(), form)
    except SimulatorError as exc:
        return _page(form, error=exc)
    except SandboxNotRunning as exc:
        return page("sandbox/discord.html", 503, server=None, problem=str(exc), form=form)
    return _page(form, answer=answer)


@bp.get("/discord/feed.json")
def discord_feed() -> Response | tuple[Response, int]:
    """Members' roles and DMs and the channels' posts, for the page to poll."""
    try:
        return jsonify(sandbox_discord.feed(settings()))
    except SandboxNotRunning as exc:
        return jsonify({"error": str(exc)}), 503
