"""Statements run on the driver (core.fastsql), on SQLite and PostgreSQL alike, and the
keyword conversation that uses them run against PostgreSQL through the real webhook."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, func, insert, select

from cli import migrate
from core.db import connection_transaction, transaction
from core.fastsql import Fast
from core.models import Consent, ConsentStatus, Event, Fan, FanLink, InboundMessage, OptOut
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.sms_helpers import AUTH_TOKEN, inbound, post_signed
from web import create_app

_EVENT = Event.__table__
_INSERT_EVENT = Fast(insert(_EVENT).returning(_EVENT.c.id))  # type: ignore[arg-type]
_FAN_ID = Fast(select(Fan.id).where(Fan.phone_e164 == bindparam("phone")))
_OPTED_IN = Fast(select(func.count()).where(Consent.status == ConsentStatus.OPTED_IN))


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, settings: Settings) -> Iterator[str]:
    if request.param == "sqlite":
        yield settings.database_url
        return
    pg_url: str = request.getfixturevalue("pg_url")
    migrate.upgrade(pg_url)
    yield pg_url


def test_values_go_through_the_column_types_and_read_back_as_the_orm_wrote_them(
    url: str,
) -> None:
    at = datetime(2026, 11, 26, 12, 30, 5, 123456, tzinfo=UTC)
    with connection_transaction(url) as connection:
        event_id = _INSERT_EVENT.scalar(connection, {"kind": "optin", "at": at})
    with transaction(url) as session:
        event = session.get(Event, event_id)
        assert event is not None and event.kind == "optin" and event.at == at


def test_a_python_column_default_is_filled_in(url: str) -> None:
    before = datetime.now(UTC)
    with connection_transaction(url) as connection:
        event_id = _INSERT_EVENT.scalar(connection, {"kind": "page_view"})  # no "at"
    with transaction(url) as session:
        event = session.get(Event, event_id)
        assert event is not None and event.at >= before.replace(microsecond=0)


def test_literals_in_the_statement_are_bound_and_missing_rows_give_none(url: str) -> None:
    with transaction(url) as session:
        assert _OPTED_IN.scalar(session, {}) == 0
        assert _FAN_ID.scalar(session, {"phone": "+14155550100"}) is None


def test_pending_orm_changes_are_flushed_before_a_statement_reads(url: str) -> None:
    with transaction(url) as session:
        session.add(Fan(phone_e164="+14155550101"))
        assert _FAN_ID.scalar(session, {"phone": "+14155550101"}) is not None


def test_a_failed_statement_rolls_back_with_its_transaction(url: str) -> None:
    refused = pytest.raises(Exception, match=r"(?i)not null|null value")
    with refused, transaction(url) as session:
        _INSERT_EVENT.scalar(session, {"kind": "first", "at": datetime.now(UTC)})
        _INSERT_EVENT.scalar(session, {"kind": None, "at": datetime.now(UTC)})
    with transaction(url) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_a_missing_value_is_named(url: str) -> None:
    with transaction(url) as session, pytest.raises(ValueError, match="no value given for phone"):
        _FAN_ID.scalar(session, {})


def test_in_lists_are_refused_by_name(url: str) -> None:
    statement = Fast(select(Fan.id).where(Fan.id.in_(bindparam("ids", expanding=True))))
    with transaction(url) as session, pytest.raises(ValueError, match="IN lists"):
        statement.rows(session, {"ids": [1, 2]})


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
