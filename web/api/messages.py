"""A campaign's messages: the list, scheduling one (every check `presave schedule add`
makes, refusals as 422 naming the field), cancelling one."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from core.services import artist_messages, tenancy
from core.services.artist_messages import AT, BEFORE, Compose
from core.services.message_timeline import timeline
from core.timeutil import utcnow
from core.validation import ValidationError
from web.api import bp, shapes
from web.api.auth import caller
from web.api.body import json_body
from web.api.fields import in_api_words, problems_of
from web.api.problems import CONFLICT, Problem, invalid
from web.api.spec import operation
from web.page_support import settings, unit_of_work

TAG = "messages"
BASE = "/campaigns/<int:campaign_id>/messages"
DEFAULT_CHANNELS = ("sms", "discord")  # as the web form starts


def compose_of(body: dict[str, Any]) -> Compose:
    """The message as sent: `at` (a date-time) or `before` (7d, 1h, ...), not both."""
    if body.get("at") is not None and body.get("before") is not None:
        raise invalid({"at": "give before or at, not both"})
    at = body.get("at")
    return Compose(
        template=body["template"], when=AT if at is not None else BEFORE,
        before=body.get("before") or "", at=at or "",
        channels=tuple(body.get("channels", DEFAULT_CHANNELS)), text=body.get("text") or "",
    )  # fmt: skip


@bp.get(BASE)
@operation(summary="The campaign's messages by send time", tag=TAG, answers={200: "MessageList"})
def message_list(campaign_id: int) -> ResponseReturnValue:
    """Countdowns and the drop alert, with what each delivered."""
    with unit_of_work() as db:
        tenancy.team_campaign(db, caller().team_id, campaign_id)
        rows = timeline(db, campaign_id)
    return jsonify(shapes.messages(rows))


@bp.post(BASE)
@operation(summary="Schedule a message from a template", tag=TAG,
           answers={201: "MessageScheduled"}, body="MessageSchedule", write=True)  # fmt: skip
def message_schedule(campaign_id: int) -> ResponseReturnValue:
    """Saved when every check passes; else 422 naming each refused field, nothing saved."""
    compose, who = compose_of(json_body("MessageSchedule")), caller()
    with unit_of_work() as db:
        tenancy.team_campaign(db, who.team_id, campaign_id)
        shown, saved = artist_messages.schedule_message(
            db, who.team_id, who.user_id, campaign_id, compose, settings(), utcnow()
        )
        if saved is None:
            raise invalid(problems_of([(p.field, p.message) for p in shown.errors]))
        row = artist_messages.message_row(db, campaign_id, saved)
    warnings = [in_api_words(w) for w in shown.warnings]
    return jsonify(message=shapes.message(row), warnings=warnings), 201


@bp.post(BASE + "/<int:message_id>/cancel")
@operation(summary="Cancel a countdown: nothing more of it goes out", tag=TAG,
           answers={200: "MessageCancelled", 409: "Problem"}, write=True)  # fmt: skip
def message_cancel(campaign_id: int, message_id: int) -> ResponseReturnValue:
    """409 for one that cannot be cancelled (the drop alert, sent or cancelled already)."""
    who = caller()
    try:
        with unit_of_work() as db:
            tenancy.team_campaign(db, who.team_id, campaign_id)
            _, cancelled = artist_messages.cancel_message(
                db, who.team_id, who.user_id, campaign_id, message_id
            )
            row = artist_messages.message_row(db, campaign_id, message_id)
    except ValidationError as exc:
        raise Problem(409, in_api_words(exc.accepted), kind=CONFLICT) from None
    return jsonify(message=shapes.message(row), deliveries_cancelled=cancelled)
