"""Campaigns: list, get, create, update, close (the artist app's services and checks).
Stats will sit under /campaigns/<id>/stats/... beside these."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from flask.typing import ResponseReturnValue

from core.services import api_campaigns, campaign_edit, campaigns, team_campaigns, tenancy
from core.services.team_campaigns import ArtworkGiven
from core.timeutil import utcnow
from web.api import bp, shapes
from web.api.auth import caller
from web.api.body import json_body
from web.api.spec import operation
from web.page_support import settings, unit_of_work

TAG = "campaigns"
RELEASE_IDS = ("spotify_album_id", "upc", "isrc", "spotify_artist_id")


def draft_of(body: dict[str, Any]) -> campaigns.CampaignDraft:
    """A new campaign as sent (the schema has checked the types)."""
    return campaigns.CampaignDraft(
        artist=body["artist"], title=body["title"], keyword=body["keyword"],
        release_at=body["release_at"], timezone=body.get("timezone"),
        follow=body.get("follow", True), force=body.get("force", False),
        **{name: body.get(name) for name in RELEASE_IDS},
    )  # fmt: skip


def changes_of(body: dict[str, Any]) -> campaign_edit.CampaignChanges:
    """An edit as sent: a member not sent stays as it is."""
    names = ("title", "keyword", "release_at", "timezone", *RELEASE_IDS, "follow")
    return campaign_edit.CampaignChanges(
        **{name: body.get(name) for name in names}, force=body.get("force", False)
    )


def one(campaign_id: int) -> dict[str, Any]:
    """The caller's campaign as JSON (404 when not the team's)."""
    with unit_of_work() as db:
        info = api_campaigns.one(db, caller().team_id, campaign_id, utcnow(), settings().public_url)
    return shapes.campaign(info)


@bp.get("/campaigns")
@operation(summary="The team's campaigns, latest release first", tag=TAG,
           answers={200: "CampaignList"})  # fmt: skip
def campaign_list() -> ResponseReturnValue:
    """Every campaign of the token's team."""
    with unit_of_work() as db:
        found = api_campaigns.listing(db, caller().team_id, utcnow(), settings().public_url)
    return jsonify(data=[shapes.campaign(info) for info in found])


@bp.post("/campaigns")
@operation(summary="Create a campaign (the checks of `presave campaign create`)", tag=TAG,
           answers={201: "Campaign"}, body="CampaignCreate", write=True)  # fmt: skip
def campaign_create() -> ResponseReturnValue:
    """A new campaign whose artist joins the token's team; 422 names each refused field."""
    draft, who = draft_of(json_body("CampaignCreate")), caller()
    with unit_of_work() as db:
        made = team_campaigns.create(db, who.team_id, who.user_id, draft, utcnow())
        campaign_id = made.id
    location = url_for("api.campaign_get", campaign_id=campaign_id)
    return one(campaign_id), 201, {"Location": location}


@bp.get("/campaigns/<int:campaign_id>")
@operation(summary="One campaign", tag=TAG, answers={200: "Campaign"})
def campaign_get(campaign_id: int) -> ResponseReturnValue:
    """The campaign, its state and counts."""
    return one(campaign_id)


@bp.patch("/campaigns/<int:campaign_id>")
@operation(summary="Change a campaign (what fans were promised stays once they joined)",
           tag=TAG, answers={200: "Campaign"}, body="CampaignUpdate", write=True)  # fmt: skip
def campaign_update(campaign_id: int) -> ResponseReturnValue:
    """Apply the members sent; 422 names each refused one, nothing is changed then."""
    body, who = json_body("CampaignUpdate"), caller()
    art = (settings().instance_path, ArtworkGiven(None, body.get("artwork_url")))
    with unit_of_work() as db:
        tenancy.team_campaign(db, who.team_id, campaign_id)
        team_campaigns.edit(
            db, (who.team_id, who.user_id), campaign_id, changes_of(body), art, utcnow()
        )
    return one(campaign_id)


@bp.post("/campaigns/<int:campaign_id>/close")
@operation(summary="Close a campaign: keyword freed, waiting messages cancelled", tag=TAG,
           answers={200: "CampaignClosed"}, write=True)  # fmt: skip
def campaign_close(campaign_id: int) -> ResponseReturnValue:
    """Close it (closing twice changes nothing: closed_now is false)."""
    who = caller()
    with unit_of_work() as db:
        tenancy.team_campaign(db, who.team_id, campaign_id)
        done = team_campaigns.close(db, who.team_id, who.user_id, campaign_id)
        closed_now, cancelled = done.closed_now, done.messages_cancelled
    return jsonify(campaign=one(campaign_id), closed_now=closed_now, messages_cancelled=cancelled)
