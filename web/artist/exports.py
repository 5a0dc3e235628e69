"""A campaign's downloads: consenting fans and events as CSV, streamed, each one written to
the audit log (blueprint `artist_exports`)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from core.db import read_connection
from core.services import audit, event_export, fan_export
from core.services.csv_export import Reader
from core.validation import ValidationError
from web.artist.context import campaign_or_404, current_team_id, current_user_id, login_required
from web.artist.pages import artist_error
from web.page_support import settings, unit_of_work

bp = Blueprint("artist_exports", __name__)


def reader() -> Reader:
    """Read-only connections for the stream: it runs after the view returns, outside the app
    context, and takes no writer's turn (webhooks keep writing while an artist downloads)."""
    return partial(read_connection, settings().database_url)


def download(body: Iterator[str], filename: str) -> Response:
    """A streamed CSV attachment that no browser or proxy keeps a copy of."""
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/app/campaigns/<int:campaign_id>/fans.csv")
@login_required
def fan_csv(campaign_id: int) -> ResponseReturnValue:
    """Consenting contacts, one row per fan and channel; full phone numbers for owners only."""
    team_id, user_id = current_team_id(), current_user_id()
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        full = fan_export.phones_shown(db, team_id, user_id)
        audit.record(db, team_id, user_id, "exported", campaign.id, fan_export.audit_detail(full))
    body = fan_export.csv_chunks(reader(), campaign_id, full_phones=full)
    return download(body, f"fans-{campaign_id}.csv")


@bp.get("/app/campaigns/<int:campaign_id>/events.csv")
@login_required
def event_csv(campaign_id: int) -> ResponseReturnValue:
    """The campaign's events oldest first, from `?since=` on when given."""
    try:
        since = event_export.parse_since(request.args.get("since"))
    except ValidationError as exc:
        return artist_error(400, f"That {exc.field} can't be used", f"{exc.field}: {exc.accepted}.")
    detail = event_export.audit_detail(since)
    with unit_of_work() as db:
        campaign = campaign_or_404(db, campaign_id)
        audit.record(db, current_team_id(), current_user_id(), "exported", campaign.id, detail)
    body = event_export.csv_chunks(reader(), campaign_id, since=since)
    return download(body, f"events-{campaign_id}.csv")
