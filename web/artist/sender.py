"""A campaign's SMS sender (views on `artist_messages`): what sends are planned and paced
at; what `presave campaign sender` sets."""

from __future__ import annotations

from flask import Response, flash, redirect, url_for
from flask.typing import ResponseReturnValue

from core.services import campaign_sender
from core.services.tenancy import Campaign
from core.validation import ValidationError
from web.artist.context import campaign_or_404, current_team_id, current_user_id, login_required
from web.artist.messages import BASE, bp
from web.artist.sender_forms import SenderForm
from web.page_support import page, settings, unit_of_work


def sender_page(campaign: Campaign, form: SenderForm, status: int = 200) -> Response:
    """The sender as it stands, and the form to change it."""
    shown = campaign_sender.sender_json(campaign, settings().twilio_mps_override)
    now = campaign_sender.sender_words(
        campaign.sms_sender, campaign.sms_sender_numbers, campaign.sms_daily_cap
    )
    return page("artist/messages/sender.html", status, campaign=campaign, form=form,
                shown=shown, now=now)  # fmt: skip


@bp.route(BASE + "/sender", methods=["GET", "POST"])
@login_required
def message_sender(campaign_id: int) -> ResponseReturnValue:
    """GET: the sender and its form. POST: checked by core, saved, in the history."""
    form = SenderForm()
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        if not form.is_submitted():
            return sender_page(campaign, form.fill(campaign))
        if not form.validate():
            return sender_page(campaign, form, 400)
        try:
            who = (current_team_id(), current_user_id())
            changed = campaign_sender.change_for_team(db, who, campaign, form.change())
        except ValidationError as exc:
            form.refused(exc.field, exc.accepted)
            return sender_page(campaign, form, 400)
    flash("The SMS sender is saved." if changed else "The SMS sender was already that.")
    return redirect(url_for("artist_messages.messages_timeline", campaign_id=campaign_id))
