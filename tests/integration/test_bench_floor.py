"""The benchmark's floor route does the webhook's checks and writes exactly what it is told."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.webhook_app import MAX_FLOOR_INSERTS, create_bench_app
from core.models import InboundMessage
from core.settings import Settings
from tests.integration.sms_helpers import AUTH_TOKEN, inbound, sign


@pytest.fixture
def client(settings: Settings) -> FlaskClient:
    return create_bench_app(settings.with_overrides(twilio_auth_token=AUTH_TOKEN)).test_client()


def rows(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(InboundMessage)) or 0)


def post_floor(client: FlaskClient, settings: Settings, inserts: int, **params: str) -> int:
    form = inbound("DROP", **params)
    path = f"/bench/floor/{inserts}"
    signature = sign(settings.public_url + path, form)
    response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    if response.status_code == 200:
        assert b"<Response><Message>" in response.data
    return response.status_code


@pytest.mark.parametrize("inserts", [0, 1, 5])
def test_writes_as_many_rows_as_asked(
    client: FlaskClient, settings: Settings, db: Session, inserts: int
) -> None:
    assert post_floor(client, settings, inserts) == 200
    assert post_floor(client, settings, inserts) == 200
    assert rows(db) == 2 * inserts


def test_checks_the_signature_and_the_message_like_the_webhook(
    client: FlaskClient, settings: Settings, db: Session
) -> None:
    form = inbound("DROP")
    bad = client.post("/bench/floor/1", data=form, headers={"X-Twilio-Signature": "x" * 28})
    assert bad.status_code == 403
    assert post_floor(client, settings, 1, from_number="+1555") == 400
    assert post_floor(client, settings, MAX_FLOOR_INSERTS + 1) == 404
    assert rows(db) == 0
