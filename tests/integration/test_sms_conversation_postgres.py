"""The keyword conversation through the real webhook, on PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from cli import migrate
from core.db import transaction
from core.models import Consent, ConsentStatus, Fan, FanLink, InboundMessage, OptOut
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.sms_helpers import AUTH_TOKEN, inbound, post_signed
from web import create_app


@pytest.mark.postgres
def test_the_keyword_conversation_on_postgres(pg_url: str, settings: Settings) -> None:
    """Opt in, repeat, replay a MessageSid, STOP, keyword while stopped, START: on PostgreSQL."""
    migrate.upgrade(pg_url)
    with transaction(pg_url) as session:
        campaign_id = make_campaign(session, "DROP").id
    pg_settings = settings.with_overrides(database_url=pg_url, twilio_auth_token=AUTH_TOKEN)
    client = create_app(pg_settings).test_client()

    def say(body: str, sid: str | None = None) -> str:
        params = inbound(body, From="+14155550123")
        if sid:
            params["MessageSid"] = sid
        response = post_signed(client, pg_settings.public_url, "/webhooks/twilio/sms", params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data(as_text=True)

    first = say("drop tiktok", sid="SM" + "a" * 32)
    links = re.findall(r"/p/([A-Za-z0-9_-]{22})", first)
    assert len(links) == 1
    assert say("DROP", sid="SM" + "b" * 32).count(links[0]) == 1  # same link again
    assert say("drop tiktok", sid="SM" + "a" * 32) == first  # Twilio's retry: same reply
    say("STOP")
    assert "/p/" not in say("DROP")
    say("START")
    with transaction(pg_url) as session:
        fan_id = session.scalar(select(Fan.id).where(Fan.phone_e164 == "+14155550123"))
        consent = session.scalars(select(Consent).where(Consent.fan_id == fan_id)).one()
        assert (consent.campaign_id, consent.status) == (campaign_id, ConsentStatus.OPTED_IN)
        assert consent.source == "tiktok"
        assert session.scalar(select(func.count()).select_from(OptOut)) == 0
        assert session.scalars(select(FanLink.code)).all() == links
        # five texts: the retry of the first is not a new one
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 5
