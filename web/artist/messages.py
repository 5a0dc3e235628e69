"""A campaign's messages: the timeline, a new message with its preview, cancelling
(blueprint `artist_messages`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, url_for
from flask.typing import ResponseReturnValue

from core.services import artist_messages, campaign_sender
from core.services.message_preview import MessagePreview, timeline
from core.timeutil import utcnow
from core.validation import ValidationError
from web.artist.context import campaign_or_404, current_team_id, current_user_id, login_required
from web.artist.messages_forms import CancelForm, MessageForm, template_options
from web.artist.pages import artist_error
from web.page_support import page, settings, unit_of_work

bp = Blueprint("artist_messages", __name__)
bp.add_app_template_filter(artist_messages.duration_words, "duration_words")
bp.add_app_template_filter(artist_messages.rate_words, "rate_words")
BASE = "/app/campaigns/<int:campaign_id>/messages"
NEW = "artist/messages/new.html"


def compose_page(campaign: Any, form: MessageForm, shown: MessagePreview | None) -> Response:
    """The new-message form, the preview (if any) below it, refusals next to their fields."""
    problems = artist_messages.field_errors(shown) if shown else {}
    form.show_problems(problems)
    status = 400 if shown is not None and not shown.ok else 200
    whole = " ".join(problems.get("", []))
    return page(NEW, status, campaign=campaign, form=form, shown=shown,
                templates=template_options(), page_error=whole)  # fmt: skip


def back(campaign_id: int) -> ResponseReturnValue:
    """To the campaign's timeline."""
    return redirect(url_for("artist_messages.messages_timeline", campaign_id=campaign_id))


@bp.get(BASE)
@login_required
def messages_timeline(campaign_id: int) -> ResponseReturnValue:
    """Every message by send time, the release among them."""
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        rows = timeline(db, campaign.id)
        sender = campaign_sender.sender_words(
            campaign.sms_sender, campaign.sms_sender_numbers, campaign.sms_daily_cap
        )
        return page("artist/messages/timeline.html", campaign=campaign, rows=rows,
                    form=CancelForm(), sender=sender)  # fmt: skip


@bp.route(BASE + "/new", methods=["GET", "POST"])
@login_required
def new_message(campaign_id: int) -> ResponseReturnValue:
    """GET: the form. POST action=preview: the form and its preview, nothing saved;
    action=schedule: saved when nothing is refused, else the refusals."""
    form = MessageForm()
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        if not form.is_submitted():
            return compose_page(campaign, form, None)
        if form.action.data != "schedule":
            shown = artist_messages.preview(db, campaign.id, form.compose(), settings(), utcnow())
            return compose_page(campaign, form, shown)
        shown, saved = artist_messages.schedule_message(
            db, current_team_id(), current_user_id(), campaign.id, form.compose(), settings(),
            utcnow(),
        )  # fmt: skip
        if saved is None:
            return compose_page(campaign, form, shown)
    flash(f"Message scheduled for {shown.send_at_local:%a %-d %b %Y, %H:%M %Z}.")
    return back(campaign_id)


@bp.post(BASE + "/preview")
@login_required
def message_preview(campaign_id: int) -> ResponseReturnValue:
    """The preview as an HTML fragment for the page's script (the same partial)."""
    form = MessageForm()
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        shown = artist_messages.preview(db, campaign.id, form.compose(), settings(), utcnow())
        return page("artist/messages/_preview.html", campaign=campaign, shown=shown)


@bp.route(BASE + "/<int:message_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_message(campaign_id: int, message_id: int) -> ResponseReturnValue:
    """Ask first; `confirm=yes` cancels it (only this campaign's messages)."""
    form = CancelForm()
    try:
        with unit_of_work() as db:
            campaign = campaign_or_404(db, campaign_id)
            row = artist_messages.message_row(db, campaign.id, message_id)
            if not (form.is_submitted() and form.confirm.data == "yes"):
                return page("artist/messages/cancel.html", campaign=campaign, row=row, form=form)
            artist_messages.cancel_message(
                db, current_team_id(), current_user_id(), campaign.id, message_id
            )
    except artist_messages.UnknownMessage:
        return artist_error(404, "We couldn't find that", "This campaign has no such message.")
    except ValidationError as exc:
        return artist_error(409, "This message can't be cancelled", f"{exc.accepted}.")
    flash("Message cancelled: nothing more of it goes out.")
    return back(campaign_id)
