"""A campaign's SMS sender: the kind, pool and daily cap its sends are planned and paced at
(what `presave campaign sender` and the artist app's Messages > SMS sender set)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from core.services import campaign_sender, tenancy
from core.services.campaign_sender import SenderChange
from web.api import bp
from web.api.auth import caller
from web.api.body import json_body
from web.api.spec import operation
from web.page_support import settings, unit_of_work

TAG = "campaigns"
PATH = "/campaigns/<int:campaign_id>/sender"


def change_of(body: dict[str, Any]) -> SenderChange:
    """The members sent (the schema has checked their types); a member not sent stays."""
    cap = body.get("daily_cap", "keep")
    return SenderChange(
        kind=body.get("kind"),
        numbers=str(body["numbers"]) if "numbers" in body else None,
        daily_cap=None if cap == "keep" else "none" if cap is None else str(cap),
    )


@bp.get(PATH)
@operation(summary="The campaign's SMS sender and the rate its sends go at", tag=TAG,
           answers={200: "Sender"})  # fmt: skip
def sender_get(campaign_id: int) -> ResponseReturnValue:
    """The sender's kind, pool, daily cap, and the rate used (TWILIO_MPS when set)."""
    with unit_of_work() as db:
        campaign = tenancy.team_campaign(db, caller().team_id, campaign_id)
        return jsonify(campaign_sender.sender_json(campaign, settings().twilio_mps_override))


@bp.put(PATH)
@operation(summary="Set the campaign's SMS sender (the checks of `presave campaign sender`)",
           tag=TAG, answers={200: "Sender"}, body="SenderUpdate", write=True)  # fmt: skip
def sender_put(campaign_id: int) -> ResponseReturnValue:
    """Apply the members sent; 422 names a refused one and nothing changes then."""
    body, who = json_body("SenderUpdate"), caller()
    with unit_of_work() as db:
        campaign = tenancy.team_campaign(db, who.team_id, campaign_id)
        campaign_sender.change_for_team(db, (who.team_id, who.user_id), campaign, change_of(body))
        return jsonify(campaign_sender.sender_json(campaign, settings().twilio_mps_override))
