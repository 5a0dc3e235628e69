"""Where fans come from, carried into the funnel's events: the keyword's suffix, `?src=`
on campaign links, and the area code's state when Twilio names none."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Event, Fan
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.sms_helpers import AUTH_TOKEN, new_sid, post_signed
from web import create_app


def test_a_keyword_with_a_suffix_and_no_from_state_is_attributed(
    settings: Settings, db: Session
) -> None:
    campaign = make_campaign(db)
    client = create_app(settings.with_overrides(twilio_auth_token=AUTH_TOKEN)).test_client()
    form = {"MessageSid": new_sid(), "From": "+12125551234", "To": "+15005550006",
            "Body": "Drop TikTok"}  # fmt: skip
    answer = post_signed(client, settings.public_url, "/webhooks/twilio/sms", form)
    assert answer.status_code == 200 and "/p/" in answer.get_data(as_text=True)
    optin = db.execute(
        select(Event.campaign_id, Event.channel, Event.source, Event.country, Event.region)
        .where(Event.kind == "optin")
    ).all()  # fmt: skip
    assert optin == [(campaign.id, "sms", "tiktok", "US", "NY")]
    fan = db.scalar(select(Fan))
    assert fan is not None and (fan.country, fan.region) == ("US", "NY")


def test_src_on_a_campaign_link_is_the_source_of_the_view_and_what_follows(
    client: FlaskClient, db: Session
) -> None:
    campaign = make_campaign(db)
    answer = client.get(
        f"/c/{campaign.slug}?src=TikTok%20Bio!&utm_source=instagram",
        headers={"User-Agent": "Mozilla/5.0 (iPhone) Mobile"},
    )
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'name="source" value="tiktok-bio"' in page  # the text-me form carries it
    assert db.scalar(select(Event.source).where(Event.kind == "page_view")) == "tiktok-bio"
    junk = client.get(f"/c/{campaign.slug}?src=%F0%9F%94%A5&ref=newsletter")  # emoji only
    assert junk.status_code == 200
    sources = db.scalars(select(Event.source).where(Event.kind == "page_view").order_by(Event.id))
    assert list(sources) == ["tiktok-bio", "newsletter"]
