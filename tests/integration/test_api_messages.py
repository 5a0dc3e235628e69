"""/api/v1/campaigns/<id>/messages: the list, scheduling with every check `presave schedule
add` makes (refusals as 422 naming the field, the same words), cancelling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import AuditEntry, Campaign, ScheduledMessage
from core.services import schedule
from core.settings import Settings
from core.timeutil import utcnow
from core.validation import ValidationError
from tests.integration.api_helpers import ApiTeam, call, is_problem


def path(team: ApiTeam) -> str:
    return f"/api/v1/campaigns/{team.campaign_id}/messages"


def messages(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(ScheduledMessage)) or 0)


def test_schedule_list_and_cancel_a_countdown(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    made = call(
        api, "POST", path(api_team), api_team.write, {"template": "countdown-1d", "before": "1d"}
    )
    assert made.status_code == 201, made.get_json()
    message = made.get_json()["message"]
    assert message["kind"] == "countdown" and message["channels"] == ["sms", "discord"]
    assert message["cancellable"] is True

    listed = call(api, "GET", path(api_team), api_team.read).get_json()
    assert [m["id"] for m in listed["data"]] == [message["id"]]
    assert listed["release_at"] > message["send_at"]

    cancel = f"{path(api_team)}/{message['id']}/cancel"
    done = call(api, "POST", cancel, api_team.write)
    assert done.status_code == 200
    assert done.get_json()["message"]["status"] == "cancelled"
    again = is_problem(call(api, "POST", cancel, api_team.write), 409)
    assert "cancelled" in str(again["detail"])
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert list(actions)[-2:] == ["scheduled", "cancelled"]


def test_at_a_local_time_on_one_channel(api: FlaskClient, api_team: ApiTeam) -> None:
    listed = call(api, "GET", path(api_team), api_team.read).get_json()
    # Midnight in the campaign's zone on the day before the release's UTC date is always
    # before the release, whatever the time of day the test runs at.
    release = datetime.fromisoformat(listed["release_at"])
    day = (release - timedelta(days=1)).date().isoformat()
    body = {"template": "countdown-1h", "at": f"{day}T00:00", "channels": ["sms"]}
    made = call(api, "POST", path(api_team), api_team.write, body)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["message"]["channels"] == ["sms"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"template": "no-such-template"}, "template"),
        ({"template": "countdown-1d", "before": "soon"}, "before"),
        ({"template": "countdown-1d", "at": "2001-01-01T00:00"}, "at"),
        ({"template": "countdown-1d", "channels": []}, "channels"),
        ({"template": "countdown-1d", "text": "{{ nope }"}, "text"),
    ],
)
def test_refusals_name_the_field_in_schedule_adds_words(
    api: FlaskClient, db: Session, settings: Settings, api_team: ApiTeam,
    body: dict[str, Any], field: str,
) -> None:  # fmt: skip
    found = is_problem(call(api, "POST", path(api_team), api_team.write, body), 422)
    errors = found["errors"]
    assert isinstance(errors, dict) and field in errors, errors
    campaign = db.get(Campaign, api_team.campaign_id)
    assert campaign is not None
    chosen = body.get("channels")
    asked = schedule.Request(
        campaign.slug, str(body["template"]), body.get("before"),
        f"{body['at']}:00-05:00" if "at" in body else None,
        ",".join(chosen) if isinstance(chosen, list) else None, body.get("text"),
    )  # fmt: skip
    with pytest.raises(ValidationError) as raised:  # what `presave schedule add` says
        schedule.add(db, settings.public_url, settings.program_name, asked, utcnow())
    db.rollback()
    words = raised.value.accepted.split(";")[0].split("--")[0][:20]
    assert words in errors[field], (errors[field], raised.value.accepted)
    assert messages(db) == 0


def test_before_and_at_together_are_refused(api: FlaskClient, api_team: ApiTeam) -> None:
    body = {"template": "countdown-1d", "before": "1d", "at": "2030-01-01T00:00"}
    found = is_problem(call(api, "POST", path(api_team), api_team.write, body), 422)
    assert found["errors"] == {"at": "give before or at, not both"}


def test_a_closed_campaign_takes_no_message(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    call(api, "POST", f"/api/v1/campaigns/{api_team.campaign_id}/close", api_team.write)
    found = is_problem(
        call(api, "POST", path(api_team), api_team.write, {"template": "countdown-1d"}), 422
    )
    assert "campaign" in found["errors"]
    assert messages(db) == 0


def test_an_unknown_message_is_404(api: FlaskClient, api_team: ApiTeam) -> None:
    is_problem(call(api, "POST", f"{path(api_team)}/999/cancel", api_team.write), 404)
