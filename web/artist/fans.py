"""A campaign's fans: the filtered list in keyset pages, one fan's timeline (blueprint
`artist_fans`; the CSV downloads are in web/artist/exports.py)."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask.typing import ResponseReturnValue

from core.services import fan_list, fan_timeline
from core.validation import ValidationError
from web.artist.context import campaign_or_404, login_required
from web.artist.pages import artist_error
from web.page_support import page, unit_of_work

bp = Blueprint("artist_fans", __name__)
FILTERS = ("status", "channel", "after")


def filters() -> dict[str, str | None]:
    """The list's query arguments that were given (an empty select means "any")."""
    return {name: request.args.get(name) or None for name in FILTERS}


def bad_filter(exc: ValidationError) -> ResponseReturnValue:
    """400 naming the query parameter that was refused."""
    return artist_error(400, f"That {exc.field} can't be used", f"{exc.field}: {exc.accepted}.")


@bp.get("/app/campaigns/<int:campaign_id>/fans")
@login_required
def fan_page(campaign_id: int) -> ResponseReturnValue:
    """Fans newest first, filtered by status and channel, with a link to the next page."""
    chosen = filters()
    try:
        with unit_of_work() as db:
            campaign = campaign_or_404(db, campaign_id)
            found = fan_list.page(
                db,
                campaign.id,
                status=chosen["status"],
                channel=chosen["channel"],
                after=chosen["after"],
            )
            return page(
                "artist/fans/list.html", campaign=campaign, found=found, chosen=chosen,
                statuses=fan_list.FAN_STATUSES, channels=fan_list.CHANNELS,
            )  # fmt: skip
    except ValidationError as exc:
        return bad_filter(exc)


@bp.get("/app/campaigns/<int:campaign_id>/fans/<int:fan_id>")
@login_required
def fan_story(campaign_id: int, fan_id: int) -> ResponseReturnValue:
    """One fan's header and a page of their timeline, newest first (`before`: older items,
    `after`: newer ones); 404 for a fan not in the campaign, 400 for a bad cursor."""
    before, after = request.args.get("before"), request.args.get("after")
    try:
        with unit_of_work() as db:
            campaign = campaign_or_404(db, campaign_id)
            story = fan_timeline.timeline(db, campaign.id, fan_id, before=before, after=after)
            if story is None:
                abort(404)
            return page(
                "artist/fans/timeline.html", campaign=campaign, story=story,
                statuses=fan_list.FAN_STATUSES,
            )  # fmt: skip
    except ValidationError as exc:
        return bad_filter(exc)
