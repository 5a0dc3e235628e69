"""`presave templates` and `presave schedule`: add, list, cancel, preview with real fans'
links, and every bad input refused in one line with nothing written."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.models import (
    Consent,
    Delivery,
    DeliveryStatus,
    Fan,
    FanLink,
    MessageStatus,
    ScheduledMessage,
)
from core.settings import Settings
from core.timeutil import utcnow
from messages import catalog
from tests.factories import make_campaign
from tests.integration.cli_helpers import env, run

__all__ = ["env"]  # a fixture: imported for pytest to find


def messages(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(ScheduledMessage)) or 0)


def test_add_list_and_cancel(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = make_campaign(db, release_at=(utcnow() + timedelta(days=10)).isoformat())
    code, out, err = run(
        capsys, "schedule", "add", campaign.slug, "--template", "countdown-1d", "--json"
    )
    assert code == 0, err
    added = json.loads(out)
    send_at = campaign.release_at - timedelta(days=1)
    assert added["send_at"] == send_at.isoformat() and added["channels"] == ["sms", "discord"]
    assert added["segments"] in (1, 2) and added["warnings"] == []
    code, out, err = run(
        capsys, "schedule", "add", campaign.slug, "--template", "countdown-1h", "--channels", "sms",
        "--text", "{{ time_left }} until {{ title }}! {{ link }}",
    )  # fmt: skip
    assert code == 0 and "countdown-1h" in out, err
    code, out, _ = run(capsys, "schedule", "list", campaign.slug, "--json")
    listed = json.loads(out)
    assert [(m["template"], m["status"]) for m in listed] == [
        ("countdown-1d", "scheduled"), ("countdown-1h", "scheduled"),
    ]  # fmt: skip
    stored = db.scalar(select(ScheduledMessage).where(ScheduledMessage.template == "countdown-1h"))
    assert stored is not None and stored.body == "{{ time_left }} until {{ title }}! {{ link }}"
    assert stored.expires_at == campaign.release_at and stored.channels == "sms"
    code, out, _ = run(capsys, "schedule", "cancel", str(added["id"]))
    assert code == 0 and "cancelled" in out
    db.expire_all()
    status = db.scalar(select(ScheduledMessage.status).where(ScheduledMessage.id == added["id"]))
    assert status == MessageStatus.CANCELLED
    code, out, _ = run(capsys, "campaign", "show", campaign.slug, "--json")
    assert [m["status"] for m in json.loads(out)["messages"]] == ["cancelled", "scheduled"]


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--template", "countdown-2d"], "template"),
        (["--template", "countdown-1d", "--before", "3 days"], "before"),
        (["--template", "countdown-1d", "--before", "30d"], "before"),  # already passed
        (["--template", "countdown-1d", "--at", "2030-01-01T00:00:00+00:00"], "at"),  # after it
        (["--template", "countdown-1d", "--at", "2026-12-30T10:00:00"], "at"),  # no offset
        (["--template", "countdown-1d", "--at", "tomorrow"], "at"),
        (["--template", "countdown-1d", "--channels", "sms,email"], "--channels"),
        (["--template", "countdown-1d", "--text", "Hi {{ first_name }}"], "text"),
        (["--template", "countdown-1d", "--text", "{% if %}"], "text"),
        (["--template", "countdown-1d", "--text", "x" * 1700], "text"),  # > 10 segments
        (["--template", "drop-live", "--before", "1h"], "at"),
        (["--template", "countdown-1d", "--before", "1d", "--at", "now"], "--at"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str], argv: list[str], field: str
) -> None:
    campaign = make_campaign(db, release_at=(utcnow() + timedelta(days=10)).isoformat())
    code, out, err = run(capsys, "schedule", "add", campaign.slug, *argv)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith(f"error: {field}"), err
    assert messages(db) == 0


def test_unknown_campaign_and_message(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "schedule", "add", "no-such", "--template", "countdown-1d")
    assert code == 2 and err.startswith("error: slug")
    for bad in ("42", "x"):
        code, _, err = run(capsys, "schedule", "cancel", bad)
        assert code == 2 and err.startswith("error: id"), err
    code, _, err = run(capsys, "schedule", "list", "no-such")
    assert code == 2 and err.startswith("error: slug")


def test_long_texts_warn_and_crowded_days_warn(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = make_campaign(db, release_at=(utcnow() + timedelta(days=10)).isoformat())
    long = "{{ artist }}: " + "so close now " * 30 + "{{ link }}"
    code, _, err = run(capsys, "schedule", "add", campaign.slug, "--template", "countdown-7d",
                       "--text", long)  # fmt: skip
    assert code == 0 and "warning: 4 SMS segments (GSM-7)" in err, err
    for before in ("20h", "10h", "1h"):
        code, _, err = run(capsys, "schedule", "add", campaign.slug, "--template", "countdown-1h",
                           "--before", before)  # fmt: skip
        assert code == 0
        crowded = before == "1h"  # the third within a day of the drop alert
        assert ("fans get at most 3 a day" in err) == crowded, (before, err)
    assert messages(db) == 4


def test_drop_live_sets_the_drop_alerts_text(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = make_campaign(db, release_at=(utcnow() + timedelta(days=10)).isoformat())
    text = "OUT NOW: {{ title }} {{ link }}{% if saved %} (saved){% endif %}"
    code, _, err = run(capsys, "schedule", "add", campaign.slug, "--template", "drop-live",
                       "--text", text, "--channels", "discord", "--json")  # fmt: skip
    assert code == 0, err
    drop = db.scalar(select(ScheduledMessage).where(ScheduledMessage.kind == "drop"))
    assert drop is not None and (drop.body, drop.channels) == (text, "discord")
    code, _, err = run(capsys, "schedule", "add", campaign.slug, "--template", "drop-live")
    assert code == 0, err  # again: replaced, with the built-in words and channels
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ScheduledMessage)) == 1
    builtin = catalog.builtins()["drop-live"]
    assert (drop.body, drop.channels) == (builtin.body, ",".join(builtin.channels))


def test_preview_shows_real_fans_their_own_links(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = make_campaign(db, release_at=(utcnow() + timedelta(days=10)).isoformat())
    code, out, _ = run(capsys, "templates", "preview", "countdown-7d", "--campaign", campaign.slug,
                       "--json")  # fmt: skip
    assert code == 0 and json.loads(out)[0]["fan"] == "sample"
    fans = [Fan(phone_e164="+14155550123", timezone="America/Los_Angeles"),
            Fan(discord_user_id="555555555555555555")]  # fmt: skip
    db.add_all(fans)
    db.flush()
    for fan, channel, code_ in ((fans[0], "sms", "A" * 22), (fans[1], "discord", "B" * 22)):
        db.add(Consent(fan_id=fan.id, campaign_id=campaign.id, channel=channel,
                       sender="x", source="sms"))  # fmt: skip
        db.add(FanLink(code=code_, fan_id=fan.id, campaign_id=campaign.id, source="sms"))
    db.commit()
    code, out, err = run(
        capsys, "templates", "preview", "countdown-7d", "--campaign", campaign.slug, "--json"
    )
    assert code == 0, err
    shown = json.loads(out)
    assert [s["channel"] for s in shown] == ["sms", "discord"]
    sms, dm = shown
    assert sms["fan"] == "+14*******23" and f"{env.public_url}/p/{'A' * 22}" in sms["text"]
    assert sms["text"].startswith("Presave alerts: ") and "Reply STOP" in sms["text"]
    assert "PST" in sms["text"] and sms["segments"] in (1, 2)
    assert f"/p/{'B' * 22}" in dm["text"] and "/stopalerts" in dm["text"]
    assert db.scalar(select(func.count()).select_from(Delivery)) == 0, "a preview sends nothing"


def test_templates_list(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "templates", "list", "--json")
    names = [t["name"] for t in json.loads(out)]
    assert code == 0 and names == ["announce", "countdown-1d", "countdown-1h", "countdown-7d",
                                   "drop-live"]  # fmt: skip


def test_cancel_mid_send_cancels_what_waits_and_refuses_twice(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = make_campaign(db, release_at=(utcnow() + timedelta(days=10)).isoformat())
    code, out, err = run(capsys, "schedule", "add", campaign.slug, "--template", "countdown-7d",
                         "--json")  # fmt: skip
    assert code == 0, err
    message_id = json.loads(out)["id"]
    fans = [Fan(phone_e164=f"+1415555{n:04d}") for n in range(4)]
    db.add_all(fans)
    db.flush()
    states = [DeliveryStatus.QUEUED, DeliveryStatus.HELD, DeliveryStatus.SENT,
              DeliveryStatus.SENDING]  # fmt: skip
    db.add_all(
        Delivery(message_id=message_id, fan_id=f.id, channel="sms", status=state)
        for f, state in zip(fans, states, strict=True)
    )
    db.execute(update(ScheduledMessage).values(status=MessageStatus.SENDING))
    db.commit()
    code, out, err = run(capsys, "schedule", "cancel", str(message_id), "--json")
    assert code == 0, err
    assert json.loads(out) == {"id": message_id, "status": "cancelled", "deliveries_cancelled": 2}
    db.expire_all()
    left = db.scalars(select(Delivery.status).order_by(Delivery.fan_id)).all()
    # the queued and the held ones; sent stays sent, and one a worker holds is its to finish
    assert left == [DeliveryStatus.CANCELLED, DeliveryStatus.CANCELLED, DeliveryStatus.SENT,
                    DeliveryStatus.SENDING]  # fmt: skip
    code, _, err = run(capsys, "schedule", "cancel", str(message_id))
    assert code == 2 and err == f"error: id: message {message_id} is cancelled already\n", err
    code, _, err = run(capsys, "schedule", "add", campaign.slug, "--template", "drop-live")
    assert code == 0, err
    drop_id = db.scalar(select(ScheduledMessage.id).where(ScheduledMessage.kind == "drop"))
    code, _, err = run(capsys, "schedule", "cancel", str(drop_id))
    assert code == 2 and "is the drop alert" in err, err
    db.expire_all()
    assert db.scalar(select(ScheduledMessage.status).where(ScheduledMessage.id == drop_id)) == (
        MessageStatus.SCHEDULED
    )
