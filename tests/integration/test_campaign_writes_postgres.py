"""The artist's write and preview services on PostgreSQL: keyword availability, an edit
refused whole, close, the preview and the timeline."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cli import migrate
from core.db import transaction
from core.models import Campaign, Consent, Fan, MessageStatus, ScheduledMessage
from core.services import broadcast, campaign_edit, schedule
from core.services.campaign_edit import CampaignChanges, FieldErrors
from core.services.message_preview import MessageRequest, preview, timeline
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign


@pytest.mark.postgres
def test_edit_close_preview_and_timeline_on_postgres(pg_url: str, settings: Settings) -> None:
    migrate.upgrade(pg_url)
    with transaction(pg_url) as session:
        campaign = make_campaign(session, "DROP")
        campaign_id, slug = campaign.id, campaign.slug
        fan = Fan(phone_e164="+14155550101", timezone="America/Chicago")
        session.add(fan)
        session.flush()
        session.add(Consent(fan_id=fan.id, campaign_id=campaign_id, channel="sms", sender="x",
                            source="sms"))  # fmt: skip
    with transaction(pg_url) as session:
        assert not campaign_edit.keyword_available(session, "drop").available
        assert campaign_edit.keyword_available(session, "drop", campaign_id).available
        with pytest.raises(FieldErrors) as raised:
            campaign_edit.edit(session, campaign_id, CampaignChanges(title="New", keyword="OTHER"))
        assert set(raised.value.errors) == {"keyword"}
    with transaction(pg_url) as session:
        assert session.scalar(select(Campaign.title).where(Campaign.id == campaign_id)) != "New"
        request = schedule.Request(slug, "countdown-1d")
        schedule.add(session, settings.public_url, settings.program_name, request, utcnow())
        shown = preview(session, campaign_id, MessageRequest("countdown-1h"), settings, utcnow())
        assert shown.ok and shown.sms_fans == 1 and shown.spread[0].zone == "America/Chicago"
        assert [row.kind for row in timeline(session, campaign_id)] == ["countdown", "release"]
    with transaction(pg_url) as session:
        message_id = session.scalar(select(ScheduledMessage.id))
        assert message_id is not None
        broadcast.plan_chunk(session, message_id, 0)
    with transaction(pg_url) as session:
        done = campaign_edit.close(session, campaign_id)
        assert (done.messages_cancelled, done.deliveries_cancelled) == (1, 1)
    with transaction(pg_url) as session:
        assert session.scalar(select(ScheduledMessage.status)) == MessageStatus.CANCELLED
        assert campaign_edit.keyword_available(session, "DROP").available
