"""Edit a campaign (its cover art too) and close it: views on `artist_campaigns`."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as Redirect

from core.services import artwork, campaign_edit, team_campaigns
from core.services.campaign_fields import FieldErrors
from core.timeutil import utcnow
from web.artist.campaign_forms import ConfirmForm, EditCampaignForm
from web.artist.campaigns import bp, form_page
from web.artist.context import campaign_or_404, current_team_id, current_user_id, login_required
from web.artist.pages import artist_error
from web.page_support import page, settings, unit_of_work

# The app takes at most 1 MB per request; this form carries an image of up to 2 MB.
EDIT_LIMIT = artwork.MAX_BYTES + 64 * 1024


@bp.url_value_preprocessor
def larger_upload(endpoint: str | None, _values: dict[str, object] | None) -> None:
    """Let the edit form carry its image. This runs before any before_request (CSRFProtect
    reads the body there), so the limit is raised before anything reads it."""
    if endpoint == "artist_campaigns.campaign_edit_form":
        request.max_content_length = EDIT_LIMIT


def too_large(_error: Exception) -> Response:
    """A body over the limit (an image over 2 MB): say so in the app's layout."""
    return artist_error(
        413,
        "That file is too large",
        "Cover art can be at most 2 MB. Go back and pick a smaller image.",
    )


bp.register_error_handler(413, too_large)


def edit_page(
    db: Session, form: EditCampaignForm, campaign_id: int, errors: dict[str, str] | None = None
) -> Response:
    """The edit form: fields fans were promised read-only with the reason."""
    campaign = campaign_or_404(db, campaign_id)
    if not form.is_submitted():
        form.fill(campaign)
    return form_page(
        "artist/campaigns/edit.html",
        form,
        errors,
        campaign=campaign,
        changeable=campaign_edit.changeable(db, campaign_id),
        why_fixed=campaign_edit.WHY_PROMISED,
        cover=artwork.shown(campaign.artwork_url),
    )


def to_overview(campaign_id: int, message: str) -> Redirect:
    """Back to the campaign's overview, saying what happened."""
    flash(message)
    return redirect(url_for("artist_campaigns.campaign_overview", campaign_id=campaign_id))


@bp.route("/app/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def campaign_edit_form(campaign_id: int) -> ResponseReturnValue:
    """`presave campaign edit` as a form, with an uploaded image or an https address."""
    form, who = EditCampaignForm(), (current_team_id(), current_user_id())
    try:
        with unit_of_work() as db:
            campaign_or_404(db, campaign_id)
            if not form.validate_on_submit():
                return edit_page(db, form, campaign_id)
            art = (settings().instance_path, form.artwork())
            changed = team_campaigns.edit(db, who, campaign_id, form.changes(), art, utcnow())
    except FieldErrors as exc:
        with unit_of_work() as db:  # the refused edit was rolled back: show it as typed
            return edit_page(db, form, campaign_id, exc.errors)
    said = "Saved: " + ", ".join(changed) + "." if changed else "Nothing changed."
    return to_overview(campaign_id, said)


@bp.get("/app/campaigns/<int:campaign_id>/close")
@login_required
def campaign_close_confirm(campaign_id: int) -> ResponseReturnValue:
    """What closing does, and the button that does it."""
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        return page(
            "artist/campaigns/close.html",
            form=ConfirmForm(),
            campaign=campaign,
            waiting=team_campaigns.waiting_messages(db, campaign_id),
        )


@bp.post("/app/campaigns/<int:campaign_id>/close")
@login_required
def campaign_close(campaign_id: int) -> ResponseReturnValue:
    """Close: no more opt-ins or messages, the keyword free for another campaign."""
    with unit_of_work() as db:
        campaign_or_404(db, campaign_id)
        done = team_campaigns.close(db, current_team_id(), current_user_id(), campaign_id)
    if not done.closed_now:
        return to_overview(campaign_id, "This campaign was closed already.")
    cancelled = done.messages_cancelled
    return to_overview(
        campaign_id, f"Closed: its keyword is free and {cancelled} waiting messages are cancelled."
    )
