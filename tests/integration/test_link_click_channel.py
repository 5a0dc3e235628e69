"""A fan opening their personal link is a `link_click` on the channel they joined the
campaign on, so the funnel's "by channel" counts link opens; no consent: no channel."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Event
from core.services import stats
from tests.factories import make_campaign
from tests.integration.funnel_helpers import opted_in_fan
from tests.integration.spotify_stubs import fan_link

PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


def test_link_opens_carry_the_fans_channel(client: FlaskClient, db: Session) -> None:
    campaign = make_campaign(db)
    _, dm_code = opted_in_fan(db, campaign.id, "123456789012345678", channel="discord")
    _, sms_code = opted_in_fan(db, campaign.id, "+14155550111", channel="sms")
    no_consent = fan_link(db, campaign, "+14155550122").code
    for code in (dm_code, sms_code, no_consent):
        assert client.get(f"/p/{code}", headers={"User-Agent": PHONE_UA}).status_code == 200
    clicks = db.scalars(select(Event.channel).where(Event.kind == "link_click").order_by(Event.id))
    assert list(clicks) == ["discord", "sms", None]
    rows = stats.breakdown(db, campaign.id, "channel", None).rows
    opened = {row.value: row.steps[2].count for row in rows}  # page, opt-in, link opened
    assert opened.get("discord") == 1 and opened.get("sms") == 1
