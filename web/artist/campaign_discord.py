"""A campaign's Discord servers: allow one to bind it, or revoke; servers that asked to
bind it, to allow or dismiss (views on `artist_campaigns`; what `presave discord
allow|disallow|list` do)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from core.services import discord_bindings, discord_requests, team_discord
from core.services.tenancy import Campaign
from core.validation import ValidationError
from web.artist.campaign_forms import ServerForm, place_errors
from web.artist.campaigns import bp
from web.artist.context import campaign_or_404, current_team_id, current_user_id, login_required
from web.page_support import page, unit_of_work

Change = Callable[[Session, tuple[int, int], Campaign, str | None], bool]


def servers_page(db: Session, campaign_id: int, form: ServerForm, status: int = 200) -> Response:
    """The servers, their state, and the allow form."""
    campaign = campaign_or_404(db, campaign_id)
    return page(
        "artist/campaigns/discord.html",
        status,
        campaign=campaign,
        form=form,
        servers=team_discord.servers(db, campaign_id),
        pending=discord_requests.pending(db, campaign_id),
        dismissed=discord_requests.dismissed(db, campaign_id),
        counts=discord_bindings.campaign_view(db, campaign_id),
    )


def change(campaign_id: int, act: Change, done: str, nothing: str) -> ResponseReturnValue:
    """Allow or revoke the server the form names, then back to the list."""
    form, who = ServerForm(), (current_team_id(), current_user_id())
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        if not form.validate_on_submit():
            return servers_page(db, campaign_id, form, 400)
        try:
            changed = act(db, who, campaign, form.guild_id.data)
        except ValidationError as exc:
            place_errors(form, {exc.field: exc.accepted})
            return servers_page(db, campaign_id, form, 400)
    flash((done if changed else nothing).format(form.guild_id.data.strip()))
    return redirect(url_for("artist_campaigns.campaign_discord", campaign_id=campaign_id))


@bp.get("/app/campaigns/<int:campaign_id>/discord")
@login_required
def campaign_discord(campaign_id: int) -> ResponseReturnValue:
    """Servers allowed to bind the campaign (or revoked) and whether they are set up."""
    with unit_of_work() as db:
        return servers_page(db, campaign_id, ServerForm())


@bp.post("/app/campaigns/<int:campaign_id>/discord/allow")
@login_required
def campaign_discord_allow(campaign_id: int) -> ResponseReturnValue:
    """Let a server bind the campaign (its admins then run /presave-setup)."""
    return change(
        campaign_id,
        team_discord.allow,
        "Server {} is allowed: its admins can now run /presave-setup there.",
        "Server {} was allowed already.",
    )


@bp.post("/app/campaigns/<int:campaign_id>/discord/revoke")
@login_required
def campaign_discord_revoke(campaign_id: int) -> ResponseReturnValue:
    """Take the allowance back: no new fans and no drop post there."""
    return change(
        campaign_id,
        team_discord.revoke,
        "Server {} is revoked: no new fans and no drop post there.",
        "Server {} was not allowed; nothing changed.",
    )


@bp.post("/app/campaigns/<int:campaign_id>/discord/dismiss")
@login_required
def campaign_discord_dismiss(campaign_id: int) -> ResponseReturnValue:
    """Dismiss a server's request to bind the campaign (it stays dismissed if it asks again)."""
    return change(
        campaign_id,
        team_discord.dismiss,
        "Server {}'s request is dismissed: if it asks again, it is not shown again.",
        "Server {} had no request waiting; nothing changed.",
    )
