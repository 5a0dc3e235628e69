"""The team page: members, the team switcher, invite links (views on `artist_auth`)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_login import current_user

from core.services import accounts
from web.artist.auth import bp
from web.artist.context import current_team_id, current_user_id, go, login_required, switch_team
from web.artist.forms import InviteForm, SwitchTeamForm
from web.artist.pages import artist_error
from web.page_support import page, settings, unit_of_work


def invite_url(raw: str) -> str:
    """The link the invited person opens."""
    return f"{settings().public_url}/app/invite/{raw}"


@bp.route("/app/team", methods=["GET", "POST"])
@login_required
def team_page() -> ResponseReturnValue:
    """Members of the current team; an owner's POST makes an invite link, shown once."""
    form, team_id, link = InviteForm(), current_team_id(), None
    try:
        with unit_of_work() as db:
            if form.validate_on_submit():
                raw = accounts.invite_token(db, team_id, current_user_id(), form.role.data)
                link = invite_url(raw)
            members = accounts.team_members(db, team_id)
    except accounts.NotAnOwner:
        return artist_error(403, "Only owners can invite", "Ask an owner of your team for a link.")
    return page(
        "artist/team.html",
        form=form,
        switch=SwitchTeamForm(),
        members=members,
        link=link,
        team_id=team_id,
        is_owner=current_user.role(team_id) == "owner",
    )


@bp.post("/app/team/switch")
@login_required
def team_switch() -> ResponseReturnValue:
    """Work in another of the user's teams."""
    form = SwitchTeamForm()
    chosen = form.team_id.data or ""
    if not form.validate_on_submit() or not chosen.isdigit() or not switch_team(int(chosen)):
        return artist_error(
            400, "That team isn't yours", "Pick one of your teams on the team page."
        )
    return go("artist_campaigns.campaign_list")
