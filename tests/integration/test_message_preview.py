"""The messages page's services: a preview shows exactly the checks `schedule add` makes,
the text on each channel with its SMS segments, quiet hours across the fans' zones and the
send duration at the sender's pace; the timeline lists every message with its deliveries."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Campaign, Consent, Delivery, Fan, ScheduledMessage
from core.services import campaign_edit, schedule, template_choices
from core.services.compose import DISCORD_FOOTER
from core.services.message_preview import MessageRequest, Problem, preview, timeline
from core.settings import Settings, load_settings
from core.timeutil import utcnow
from core.validation import ValidationError
from messages import catalog
from tests.conftest import base_env
from tests.factories import make_campaign

RELEASE_IN = timedelta(days=7)


def fan(db: Session, campaign: Campaign, n: int, zone: str | None, channel: str = "sms") -> Fan:
    row = Fan(
        phone_e164=f"+1415555{n:04d}" if channel == "sms" else None,
        discord_user_id=str(900000 + n) if channel == "discord" else None, timezone=zone,
    )  # fmt: skip
    db.add(row)
    db.flush()
    db.add(
        Consent(fan_id=row.id, campaign_id=campaign.id, channel=channel, sender="x", source="sms")
    )
    db.commit()
    return row


def request_of(slug: str, asked: MessageRequest) -> schedule.Request:
    return schedule.Request(
        slug, asked.template, asked.before, asked.at, asked.channels, asked.text
    )


def scheduled_count(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(ScheduledMessage)) or 0)


BAD = [
    MessageRequest("no-such-template"),
    MessageRequest("countdown-1d", text="{{ secret }} {{ link }}"),
    MessageRequest("countdown-1d", text="{% for %}"),
    MessageRequest("countdown-1d", channels="sms,fax"),
    MessageRequest("countdown-1d", at="2020-01-01T00:00:00+00:00"),
    MessageRequest("countdown-1d", at="2031-01-01T10:00:00"),
    MessageRequest("countdown-1d", at="tomorrow"),
    MessageRequest("countdown-1d", before="banana"),
    MessageRequest("countdown-1d", before="30d"),  # before the campaign was created: passed
    MessageRequest("countdown-1d", before="0"),  # at the release: not a countdown
    MessageRequest("countdown-1d", before="1h", at="now"),
    MessageRequest("countdown-1d", channels="sms", text="long " * 400 + "{{ link }}"),
    MessageRequest("drop-live", at="now"),
    MessageRequest("countdown-1d", text="{{ secret }}", channels="fax", before="banana"),
]


@pytest.mark.parametrize("asked", BAD)
def test_preview_shows_the_error_schedule_add_raises(
    db: Session, settings: Settings, asked: MessageRequest
) -> None:
    campaign = make_campaign(db, release_at=(utcnow() + RELEASE_IN).isoformat())
    now = utcnow()
    with pytest.raises(ValidationError) as raised:
        schedule.add(
            db, settings.public_url, settings.program_name, request_of(campaign.slug, asked), now
        )
    db.rollback()
    shown = preview(db, campaign.id, asked, settings, now)
    assert not shown.ok and shown.errors[0] == Problem(raised.value.field, raised.value.accepted)
    assert scheduled_count(db) == 0


def test_a_closed_campaign_is_refused_by_both(db: Session, settings: Settings) -> None:
    campaign = make_campaign(db)
    campaign_edit.close(db, campaign.id)
    db.commit()
    asked = MessageRequest("countdown-1d")
    with pytest.raises(ValidationError) as raised:
        schedule.add(db, settings.public_url, settings.program_name,
                     request_of(campaign.slug, asked), utcnow())  # fmt: skip
    shown = preview(db, campaign.id, asked, settings, utcnow())
    assert shown.errors == [Problem("slug", raised.value.accepted)]


def test_several_refusals_are_all_listed(db: Session, settings: Settings) -> None:
    campaign = make_campaign(db)
    asked = MessageRequest("countdown-1d", text="{{ secret }}", channels="fax", before="banana")
    fields = [p.field for p in preview(db, campaign.id, asked, settings, utcnow()).errors]
    assert fields == ["text", "--channels", "before"]


def test_warnings_are_the_same_as_schedule_add(db: Session, settings: Settings) -> None:
    campaign = make_campaign(db, release_at=(utcnow() + RELEASE_IN).isoformat())
    for before in ("1h", "2h", "3h"):  # three countdowns and the drop alert within a day
        asked_before = schedule.Request(campaign.slug, "countdown-1h", before=before)
        schedule.add(db, settings.public_url, settings.program_name, asked_before, utcnow())
    db.commit()
    asked = MessageRequest("countdown-1d", before="4h", text="word " * 70 + "{{ link }}")
    now = utcnow()
    shown = preview(db, campaign.id, asked, settings, now)
    done = schedule.add(db, settings.public_url, settings.program_name,
                        request_of(campaign.slug, asked), now)  # fmt: skip
    assert shown.ok and shown.warnings == done.warnings and len(done.warnings) == 2
    assert "SMS segments" in shown.warnings[0] and "within 24 hours" in shown.warnings[1]


def ucs2_segments(text: str) -> int:
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def test_the_text_on_each_channel_with_segments_and_encoding(
    db: Session, settings: Settings
) -> None:
    campaign = make_campaign(db)
    plain = preview(db, campaign.id, MessageRequest("countdown-1d"), settings, utcnow())
    sms, discord = plain.texts
    assert (sms.channel, discord.channel) == ("sms", "discord")
    assert sms.text.startswith(f'{settings.program_name}: Mira Vale\'s "{campaign.title}"')
    assert sms.text.endswith("Reply STOP to opt out.") and "/p/" in sms.text
    assert sms.encoding == "GSM-7" and sms.segments == (1 if len(sms.text) <= 160 else 2)
    assert discord.text.endswith(DISCORD_FOOTER) and discord.segments is None
    emoji = MessageRequest(
        "countdown-1d", text="\U0001f319 {{ title }} in {{ time_left }} {{ link }}"
    )
    sms = preview(db, campaign.id, emoji, settings, utcnow()).texts[0]
    assert sms.encoding == "UCS-2" and sms.segments == ucs2_segments(sms.text) == 2
    assert sms.text.startswith(f"{settings.program_name}: \U0001f319 {campaign.title} in 24 hours")


def test_quiet_hours_spread_across_two_zones(db: Session, settings: Settings) -> None:
    release = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=10)
    campaign = make_campaign(db, release_at=release.isoformat(), timezone="Europe/Paris")
    for n in range(3):
        fan(db, campaign, n, "America/Chicago")
    fan(db, campaign, 10, "Asia/Tokyo")
    fan(db, campaign, 20, None, channel="discord")
    day = (release - timedelta(days=3)).date()
    at = datetime(day.year, day.month, day.day, 19, 0, tzinfo=UTC)  # midday in Chicago
    shown = preview(db, campaign.id, MessageRequest("countdown-1d", at=at.isoformat()), settings,
                    utcnow())  # fmt: skip
    assert shown.ok, shown.errors
    assert shown.send_at == at and shown.send_at_local is not None
    assert shown.send_at_local.utcoffset() == at.astimezone(shown.send_at_local.tzinfo).utcoffset()
    assert str(shown.send_at_local.tzinfo) == "Europe/Paris"
    tokyo_8am = datetime(day.year, day.month, day.day, 23, 0, tzinfo=UTC)  # 08:00 JST next day
    assert [(z.zone, z.fans, z.held_until) for z in shown.spread] == [
        ("America/Chicago", 3, None), ("Asia/Tokyo", 1, tokyo_8am),
    ]  # fmt: skip
    local = shown.spread[1].held_until_local
    assert local is not None and (local.hour, local.minute) == (8, 0)
    assert (shown.sms_fans, shown.sms_at_send, shown.sms_held, shown.discord_fans) == (4, 3, 1, 1)


@pytest.mark.parametrize(("mps", "expected_rate"), [(None, 1.0), ("0.5", 0.5), ("4", 4.0)])
def test_send_duration_at_the_senders_pace(
    db: Session, settings: Settings, mps: str | None, expected_rate: float
) -> None:
    extra = {"TWILIO_MPS": mps} if mps is not None else {}
    paced = load_settings(
        base_env(settings.instance_path, DATABASE_URL=settings.database_url, **extra),
        dotenv_path=settings.instance_path / "no.env",
    )
    campaign = make_campaign(db)
    for n in range(6):
        fan(db, campaign, n, "UTC")
    for n in range(100, 200):
        fan(db, campaign, n, None, channel="discord")
    shown = preview(db, campaign.id, MessageRequest("countdown-1d"), paced, utcnow())
    assert shown.mps == expected_rate and paced.twilio_mps == expected_rate
    assert shown.sms_seconds == pytest.approx(6 / expected_rate)
    assert shown.discord_rps == 50.0 and shown.discord_seconds == pytest.approx(100 / 50)
    sms_only = preview(db, campaign.id, MessageRequest("countdown-1d", channels="sms"), paced,
                       utcnow())  # fmt: skip
    assert sms_only.discord_fans == 0 and sms_only.discord_seconds == 0


def test_timeline_orders_messages_marks_the_release_and_counts_deliveries(
    db: Session, settings: Settings
) -> None:
    campaign = make_campaign(db, release_at=(utcnow() + RELEASE_IN).isoformat())
    added = {}
    for template in ("countdown-1h", "countdown-1d", "drop-live", "countdown-7d"):
        before = "6d" if template == "countdown-7d" else None
        asked = schedule.Request(campaign.slug, template, before=before)
        done = schedule.add(db, settings.public_url, settings.program_name, asked, utcnow())
        added[template] = done.message.id
    db.commit()
    fans = [fan(db, campaign, n, "UTC") for n in range(6)]
    statuses = ["sent", "delivered", "failed", "undeliverable", "queued", "held"]
    for f, status in zip(fans, statuses, strict=True):
        db.add(
            Delivery(message_id=added["countdown-7d"], fan_id=f.id, channel="sms", status=status)
        )
    db.commit()
    schedule.cancel(db, added["countdown-1h"], campaign.id)
    db.commit()
    rows = timeline(db, campaign.id)
    assert [(r.kind, r.template, r.status) for r in rows] == [
        ("countdown", "countdown-7d", "scheduled"), ("countdown", "countdown-1d", "scheduled"),
        ("countdown", "countdown-1h", "cancelled"), ("release", None, "upcoming"),
        ("drop", "drop-live", "scheduled"),
    ]  # fmt: skip
    first = rows[0]
    assert (first.sent, first.failed, first.queued) == (2, 2, 2) and first.cancellable
    assert not rows[2].cancellable and not rows[4].cancellable
    assert rows[3].send_at == campaign.release_at and rows[3].id is None
    assert str(first.send_at_local.tzinfo) == "America/New_York"
    assert first.send_at_local == first.send_at and first.channels == ("sms", "discord")


def test_cancel_refuses_a_message_of_another_campaign(db: Session, settings: Settings) -> None:
    mine, other = make_campaign(db, "MINE"), make_campaign(db, "OTHER")
    asked = schedule.Request(other.slug, "countdown-1d")
    done = schedule.add(db, settings.public_url, settings.program_name, asked, utcnow())
    theirs = done.message
    db.commit()
    with pytest.raises(ValidationError) as raised:
        schedule.cancel(db, theirs.id, mine.id)
    assert raised.value.field == "id" and "no message" in raised.value.accepted
    message, _ = schedule.cancel(db, theirs.id, other.id)
    assert message.status == "cancelled"


def test_template_choices_are_the_catalogs() -> None:
    found = {c.name: c for c in template_choices.choices()}
    assert set(found) == set(catalog.builtins())
    day = found["countdown-1d"]
    assert (day.channels, day.before, day.description) == (
        ("sms", "discord"),
        "1d",
        "One day to go",
    )
    assert found["drop-live"].at_drop and not day.at_drop


def test_the_drop_alert_links_the_release_not_the_fans_page(
    db: Session, settings: Settings
) -> None:
    campaign = make_campaign(db)
    shown = preview(db, campaign.id, MessageRequest("drop-live"), settings, utcnow())
    assert shown.ok and shown.send_at == campaign.release_at
    assert all(
        "/album/4aawyAB9vmqN3uQ7FjRGTy" in t.text and "/p/" not in t.text for t in shown.texts
    )


def test_fans_in_quiet_hours_past_the_release_are_warned_about(
    db: Session, settings: Settings
) -> None:
    # The release at 05:00 in Chicago: a one-hour countdown at 04:00 there is held to 08:00,
    # after the release, when countdowns expire; Tokyo (19:00) gets it at the send time.
    day = (datetime.now(UTC) + timedelta(days=10)).date()
    release = datetime(day.year, day.month, day.day, 11, 0, tzinfo=UTC)  # 05:00 CST
    campaign = make_campaign(db, release_at=release.isoformat(), timezone="America/Chicago")
    for n in range(2):
        fan(db, campaign, n, "America/Chicago")
    fan(db, campaign, 10, "Asia/Tokyo")
    db.commit()
    shown = preview(db, campaign.id, MessageRequest("countdown-1h"), settings, utcnow())
    assert shown.ok, shown.errors
    assert (shown.sms_at_send, shown.sms_held) == (1, 2)
    assert "2 SMS fans are in quiet hours until after the release: they will not get this " \
        "countdown" in shown.warnings  # fmt: skip
    later = release + timedelta(hours=14)  # sent at 18:00 in Chicago, 09:00 in Tokyo
    campaign.release_at = later
    db.commit()
    awake = preview(db, campaign.id, MessageRequest("countdown-1h"), settings, utcnow())
    assert awake.sms_held == 0
    assert not [w for w in awake.warnings if "after the release" in w], awake.warnings
