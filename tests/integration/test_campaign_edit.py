"""Editing and closing a campaign: create's checks, every refused field named with nothing
written, what fans were promised kept once one joined, and a closed campaign sends nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import (
    Campaign,
    Consent,
    Delivery,
    DeliveryStatus,
    Fan,
    MessageStatus,
    ScheduledMessage,
)
from core.services import broadcast, campaign_edit, notify, schedule, send_state
from core.services.campaign_edit import CampaignChanges, FieldErrors
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.cli_helpers import env, run

__all__ = ["env"]
ALBUM = "4aawyAB9vmqN3uQ7FjRGTy"
OTHER_ALBUM = "1A2GTWGtFfWp7KSQTwWOyo"


def stored(db: Session, campaign_id: int) -> Campaign:
    db.expire_all()
    found = db.get(Campaign, campaign_id)
    assert found is not None
    return found


def join(db: Session, campaign: Campaign, phone: str = "+14155550101") -> Fan:
    fan = Fan(phone_e164=phone, country="US")
    db.add(fan)
    db.flush()
    db.add(Consent(fan_id=fan.id, campaign_id=campaign.id, channel="sms", sender="x", source="sms"))
    db.commit()
    return fan


@pytest.mark.parametrize(
    ("keyword", "available", "reason"),
    [
        ("BLOOM", True, ""),
        ("bloom2", True, ""),
        ("stop", False, "reserved SMS word"),
        ("Help", False, "reserved SMS word"),
        ("two words", False, "one word of 2-20"),
        ("X", False, "one word of 2-20"),
        ("", False, "one word of 2-20"),
        ("drop", False, "already used by an open campaign"),
    ],
)
def test_keyword_available(db: Session, keyword: str, available: bool, reason: str) -> None:
    make_campaign(db, "DROP")
    answer = campaign_edit.keyword_available(db, keyword)
    assert answer.available is available and reason in answer.reason


def test_a_campaign_keeps_its_own_keyword_and_a_closed_one_frees_it(db: Session) -> None:
    campaign = make_campaign(db, "DROP")
    assert campaign_edit.keyword_available(db, "drop", except_campaign_id=campaign.id).available
    campaign_edit.close(db, campaign.id)
    db.commit()
    assert campaign_edit.keyword_available(db, "DROP").available
    make_campaign(db, "DROP")  # a new campaign takes it


def test_edit_applies_valid_changes(db: Session) -> None:
    campaign = make_campaign(db, "DROP")
    release = (utcnow() + timedelta(days=9)).replace(microsecond=0)
    changes = CampaignChanges(
        title="  Night Bloom (Deluxe) ", keyword="bloom", release_at=release.isoformat(),
        timezone="Europe/Paris", upc="602445790128", follow=False,
    )  # fmt: skip
    campaign_edit.edit(db, campaign.id, changes, utcnow())
    db.commit()
    after = stored(db, campaign.id)
    assert (after.title, after.keyword, after.timezone) == (
        "Night Bloom (Deluxe)",
        "BLOOM",
        "Europe/Paris",
    )
    assert after.release_at == release and after.upc == "602445790128"
    assert after.spotify_album_id is None and after.action_follow is False
    assert after.slug == campaign.slug  # links already shared keep working


def test_every_bad_field_is_named_and_nothing_is_written(db: Session) -> None:
    campaign = make_campaign(db, "DROP")
    make_campaign(db, "TAKEN")
    before = stored(db, campaign.id)
    snapshot = (before.title, before.keyword, before.release_at, before.timezone)
    changes = CampaignChanges(
        title="a\u202eb", keyword="taken", release_at="2020-01-01T00:00:00+00:00",
        timezone="Mars/Base", isrc="nope",
    )  # fmt: skip
    with pytest.raises(FieldErrors) as raised:
        campaign_edit.edit(db, campaign.id, changes, utcnow())
    errors = raised.value.errors
    assert set(errors) == {"--title", "keyword", "release-at", "timezone", "isrc"}
    assert "bidirectional" in errors["--title"] and "already used" in errors["keyword"]
    assert "has passed" in errors["release-at"] and "IANA" in errors["timezone"]
    db.rollback()
    after = stored(db, campaign.id)
    assert (after.title, after.keyword, after.release_at, after.timezone) == snapshot


def test_the_same_checks_as_create(db: Session) -> None:
    campaign = make_campaign(db, "DROP")
    with pytest.raises(FieldErrors) as raised:
        campaign_edit.edit(
            db, campaign.id, CampaignChanges(upc="602445790128", isrc="USRC17607839")
        )
    assert raised.value.errors == {
        "release": "give one of --spotify-album-id, --upc, --isrc, not --upc and --isrc"
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (CampaignChanges(keyword="BLOOM"), "keyword"),
        (CampaignChanges(spotify_album_id=OTHER_ALBUM), "spotify-album-id"),
        (CampaignChanges(upc="602445790128"), "upc"),
        (CampaignChanges(isrc="US-RC1-76-07839"), "isrc"),
        (CampaignChanges(spotify_artist_id=OTHER_ALBUM), "spotify-artist-id"),
    ],
)
def test_promised_fields_change_before_a_fan_joins_but_not_after(
    db: Session, changes: CampaignChanges, field: str
) -> None:
    first = make_campaign(db, "FIRST")
    campaign_edit.edit(db, first.id, changes)  # nobody joined yet: allowed
    db.rollback()
    joined = make_campaign(db, "JOINED")
    join(db, joined)
    with pytest.raises(FieldErrors) as raised:
        campaign_edit.edit(db, joined.id, changes)
    assert field in raised.value.errors and "fans have joined" in raised.value.errors[field]
    campaign_edit.edit(db, joined.id, CampaignChanges(title="Still editable"))  # the rest is


def test_close_cancels_waiting_messages_and_nothing_queued_is_sent(
    db: Session, settings: Settings
) -> None:
    campaign = make_campaign(db, "DROP")
    join(db, campaign)
    added = schedule.add(
        db, settings.public_url, settings.program_name,
        schedule.Request(campaign.slug, "countdown-1h", at="now"), utcnow(),
    )  # fmt: skip
    later = schedule.add(
        db, settings.public_url, settings.program_name,
        schedule.Request(campaign.slug, "countdown-1d"), utcnow(),
    )  # fmt: skip
    db.commit()
    assert broadcast.due(db, utcnow()) == [added.message.id]
    broadcast.plan_chunk(db, added.message.id, 0)  # the send path made its delivery: queued
    db.commit()
    queued = send_state.due(db, notify.DELIVERIES)  # what a send job was handed
    assert len(queued) == 1
    done = campaign_edit.close(db, campaign.id)
    db.commit()
    assert done.closed_now and (done.messages_cancelled, done.deliveries_cancelled) == (2, 1)
    assert send_state.due(db, notify.DELIVERIES) == []  # the sender finds nothing to send
    assert send_state.claim(db, notify.DELIVERIES, queued, utcnow()) == []  # the job sends none
    assert broadcast.due(db, utcnow()) == []
    statuses = db.scalars(select(ScheduledMessage.status).order_by(ScheduledMessage.id)).all()
    assert statuses == [MessageStatus.CANCELLED, MessageStatus.CANCELLED]
    assert db.scalar(select(Delivery.status)) == DeliveryStatus.CANCELLED
    again = campaign_edit.close(db, campaign.id)  # idempotent
    assert not again.closed_now and again.messages_cancelled == 0
    assert later.message.id != added.message.id


def test_cli_edit_and_close(env: Settings, db: Session, capsys: pytest.CaptureFixture[str]) -> None:
    campaign = make_campaign(db, "DROP")
    code, out, err = run(capsys, "campaign", "edit", campaign.slug, "--title", "New", "--json")
    assert code == 0, err
    assert '"title": "New"' in out
    code, _, err = run(capsys, "campaign", "edit", campaign.slug, "--keyword", "stop")
    assert code == 2 and err.startswith("error: keyword: STOP is a reserved SMS word")
    code, out, _ = run(capsys, "campaign", "close", campaign.slug)
    assert code == 0 and "closed" in out and "keyword is free" in out
    code, out, _ = run(capsys, "campaign", "close", campaign.slug)
    assert code == 0 and "closed already" in out
    code, _, err = run(capsys, "campaign", "edit", campaign.slug, "--title", "Again")
    assert code == 2 and "closed" in err


def test_changeable_tells_a_form_what_it_may_change(db: Session) -> None:
    campaign = make_campaign(db, "DROP")
    assert all(campaign_edit.changeable(db, campaign.id).values())
    join(db, campaign)
    now = campaign_edit.changeable(db, campaign.id)
    assert not now["keyword"] and not now["upc"] and now["title"] and now["release_at"]
    campaign_edit.close(db, campaign.id)
    assert not any(campaign_edit.changeable(db, campaign.id).values())


def test_a_promise_refusal_comes_with_the_other_field_errors(db: Session) -> None:
    campaign = make_campaign(db, "JOINED")
    join(db, campaign)
    changes = CampaignChanges(
        title="a\u202eb", keyword="OTHER", release_at="soon", spotify_album_id=OTHER_ALBUM
    )
    with pytest.raises(FieldErrors) as raised:
        campaign_edit.edit(db, campaign.id, changes, utcnow())
    errors = raised.value.errors
    assert set(errors) == {"keyword", "spotify-album-id", "--title", "release-at"}, errors
    assert list(errors)[:2] == ["keyword", "spotify-album-id"], "the promises first (CLI)"
    assert "fans have joined" in errors["keyword"] and "bidirectional" in errors["--title"]
    assert "ISO 8601" in errors["release-at"]


def test_a_malformed_promised_field_is_refused_as_promised(db: Session) -> None:
    campaign = make_campaign(db, "JOINED")
    join(db, campaign)
    for changes, field in (
        (CampaignChanges(keyword="two words"), "keyword"),
        (CampaignChanges(isrc="nope", title="a\u202eb"), "isrc"),
    ):
        with pytest.raises(FieldErrors) as raised:
            campaign_edit.edit(db, campaign.id, changes)
        assert "fans have joined" in raised.value.errors[field], raised.value.errors
    # typed as stored, in another case: not a change
    campaign_edit.edit(db, campaign.id, CampaignChanges(keyword="joined", title="Fine"))
    assert stored(db, campaign.id).title == "Fine"


def test_a_live_release_keeps_its_time_whatever_else_is_wrong(db: Session) -> None:
    campaign = make_campaign(db, "LIVE")
    campaign.detected_at = utcnow()
    db.commit()
    changes = CampaignChanges(title="a\u202eb", release_at="2031-01-01T00:00:00+00:00")
    with pytest.raises(FieldErrors) as raised:
        campaign_edit.edit(db, campaign.id, changes, utcnow())
    errors = raised.value.errors
    assert set(errors) == {"release-at", "--title"} and "found live" in errors["release-at"]
