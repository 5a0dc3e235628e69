"""A campaign's fans in keyset pages (the web list's filters, phones masked), and the
team's events after a cursor for syncing a CRM."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from core.services import event_feed, fan_list, tenancy
from web.api import bp, schemas, shapes
from web.api.auth import caller
from web.api.body import int_arg, text_arg
from web.api.spec import operation
from web.page_support import unit_of_work


@bp.get("/campaigns/<int:campaign_id>/fans")
@operation(summary="The campaign's fans, newest first; continue with ?after=next_cursor",
           tag="fans", answers={200: "FanPage"}, query=schemas.FAN_QUERY)  # fmt: skip
def fan_page(campaign_id: int) -> ResponseReturnValue:
    """One page of fans, filtered by status and channel."""
    limit = int_arg("limit", 50, 1, fan_list.MAX_LIMIT) or 50
    with unit_of_work() as db:
        tenancy.team_campaign(db, caller().team_id, campaign_id)
        found = fan_list.page(
            db, campaign_id, status=text_arg("status"), channel=text_arg("channel"),
            after=text_arg("after"), limit=limit,
        )  # fmt: skip
    return jsonify(shapes.fans(found))


@bp.get("/events")
@operation(summary="The team's events after an event id, oldest first (for a CRM sync)",
           tag="events", answers={200: "EventPage"}, query=schemas.EVENT_QUERY,
           names_a_campaign=True)  # fmt: skip
def event_page() -> ResponseReturnValue:
    """Events with an id above ?after, of one campaign with ?campaign_id."""
    team_id = caller().team_id
    after = int_arg("after", 0, 0, schemas.MAX_ID) or 0
    limit = int_arg("limit", 100, 1, event_feed.MAX_LIMIT) or 100
    campaign_id = int_arg("campaign_id", None, 1, schemas.MAX_ID)
    with unit_of_work() as db:
        if campaign_id is not None:
            tenancy.team_campaign(db, team_id, campaign_id)
        only = None if campaign_id is None else [campaign_id]
        found = event_feed.since(db, team_id, after=after, limit=limit, campaign_ids=only)
    return jsonify(shapes.events(found))
