"""The team's API tokens (views on `artist_auth`): everyone in the team sees the list;
owners make a token (shown once, on this answer only) and revoke them."""

from __future__ import annotations

from flask import Response, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from core.services import api_tokens
from core.timeutil import utcnow
from core.validation import ValidationError
from web.artist.auth import bp
from web.artist.context import current_team_id, current_user_id, login_required
from web.artist.pages import artist_error
from web.artist.token_forms import NewTokenForm, RevokeForm
from web.page_support import page, settings, unit_of_work

PAGE = "artist/tokens.html"
NOT_OWNER = ("Only owners can do that", "Ask an owner of your team to make or revoke tokens.")


def tokens_page(form: NewTokenForm, raw: str | None = None, status: int = 200) -> Response:
    """The list, the form (owners) and a new token when one was just made."""
    team_id = current_team_id()
    with unit_of_work() as db:
        rows = api_tokens.team_tokens(db, team_id)
    return page(
        PAGE, status, form=form, revoke=RevokeForm(), tokens=rows, raw=raw,
        is_owner=current_user.role(team_id) == "owner", api_url=settings().public_url + "/api/v1",
    )  # fmt: skip


@bp.route("/app/team/tokens", methods=["GET", "POST"])
@login_required
def api_tokens_page() -> ResponseReturnValue:
    """GET: the team's tokens. POST (owners): a new token, its secret shown this once."""
    form = NewTokenForm()
    if not form.validate_on_submit():
        return tokens_page(form, status=400 if form.is_submitted() else 200)
    try:
        with unit_of_work() as db:
            _, raw = api_tokens.create(
                db, current_team_id(), current_user_id(), form.name.data, form.scope.data
            )
    except api_tokens.NotAnOwner:
        return artist_error(403, *NOT_OWNER)
    except ValidationError as exc:
        getattr(form, exc.field).errors = [f"Use {exc.accepted}."]
        return tokens_page(form, status=400)
    response = tokens_page(NewTokenForm(formdata=None), raw=raw)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/app/team/tokens/<int:token_id>/revoke")
@login_required
def api_token_revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one of the team's tokens (owners): it stops working at once."""
    if not RevokeForm().validate_on_submit():
        return artist_error(
            400, "That didn't work", "Open the page again and press revoke once more."
        )
    try:
        with unit_of_work() as db:
            row = api_tokens.revoke(db, current_team_id(), current_user_id(), token_id, utcnow())
    except api_tokens.NotAnOwner:
        return artist_error(403, *NOT_OWNER)
    except api_tokens.UnknownToken:
        return artist_error(404, "We couldn't find that", "Your team has no such token.")
    flash(f"Revoked {row.name}: it no longer works.")
    return redirect(url_for("artist_auth.api_tokens_page"))
