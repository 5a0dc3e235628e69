"""POST /webhooks/discord/interactions: Ed25519-signed requests, good, bad and replayed, and
the same commands as the gateway bot."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Consent, DiscordInteraction, FanLink
from core.settings import Settings
from tests.integration.discord_helpers import FAN, GUILD, bound_campaign
from web import create_app

URL = "/webhooks/discord/interactions"
KEY = Ed25519PrivateKey.generate()
PUBLIC_HEX = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
_ids = iter(range(900000000000000000, 999999999999999999))


@pytest.fixture
def signed_client(settings: Settings) -> FlaskClient:
    app = create_app(settings.with_overrides(discord_public_key=PUBLIC_HEX))
    return app.test_client()


def payload(kind: int = 2, name: str = "presave", **extra: Any) -> dict[str, Any]:
    """An interaction as Discord posts it, from a member of GUILD."""
    body: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": "777777777777777777",
        "type": kind,
        "token": "interaction-token",
        "version": 1,
        "guild_id": GUILD,
        "member": {"user": {"id": FAN, "username": "fan"}, "roles": [], "permissions": "0"},
        "data": {"id": "1", "name": name, "type": 1, "options": []},
    }
    body.update(extra)
    return body


def post(
    client: FlaskClient,
    body: dict[str, Any] | bytes,
    *,
    key: Ed25519PrivateKey = KEY,
    timestamp: int | None = None,
    signature: str | None = None,
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signed = signature if signature is not None else key.sign(stamp.encode() + raw).hex()
    headers = {"X-Signature-Ed25519": signed, "X-Signature-Timestamp": stamp}
    return client.post(URL, data=raw, headers=headers, content_type="application/json")


def seen(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(DiscordInteraction)) or 0)


def test_ping_is_answered_with_pong(signed_client: FlaskClient) -> None:
    answer = post(signed_client, payload(kind=1))
    assert answer.status_code == 200 and answer.get_json() == {"type": 1}


def test_a_bad_signature_is_refused_and_nothing_is_recorded(
    signed_client: FlaskClient, db: Session
) -> None:
    bound_campaign(db)
    body = payload()
    for attempt in (
        post(signed_client, body, key=Ed25519PrivateKey.generate()),  # someone else's key
        post(signed_client, body, signature="00" * 64),
        post(signed_client, body, signature="not hex"),
    ):
        assert attempt.status_code == 401
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    tampered = KEY.sign(stamp.encode() + raw).hex()
    headers = {"X-Signature-Ed25519": tampered, "X-Signature-Timestamp": stamp}
    changed = raw.replace(b"presave", b"stopalerts")
    answer = signed_client.post(URL, data=changed, headers=headers, content_type="application/json")
    assert answer.status_code == 401
    assert signed_client.post(URL, json=body).status_code == 401  # no headers at all
    assert seen(db) == 0 and db.scalar(select(Consent.id)) is None


def test_a_replayed_or_stale_interaction_is_refused(
    signed_client: FlaskClient, db: Session
) -> None:
    body = payload(kind=4, data={"name": "presave", "options": []})
    first = post(signed_client, body)
    assert first.status_code == 200
    again = post(signed_client, body)  # the same signed interaction, posted again
    assert again.status_code == 401 and "replayed" in again.get_data(as_text=True)
    stale = post(signed_client, payload(kind=1), timestamp=int(time.time()) - 600)
    assert stale.status_code == 401 and "stale" in stale.get_data(as_text=True)
    assert seen(db) == 1


def test_presave_over_http_answers_with_the_link_button(
    signed_client: FlaskClient, settings: Settings, db: Session
) -> None:
    campaign = bound_campaign(db)
    answer = post(signed_client, payload())
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["type"] == 4 and body["data"]["flags"] == 64
    code = db.scalar(select(FanLink.code))
    button = body["data"]["components"][0]["components"][0]
    assert button == {
        "type": 2,
        "style": 5,
        "label": "Pre-save on Spotify",
        "url": f"{settings.public_url}/p/{code}",
    }
    assert campaign.title in body["data"]["content"]
    consent = db.scalar(select(Consent))
    assert consent is not None and (consent.channel, consent.source) == ("discord", "discord")


def test_autocomplete_over_http_lists_the_campaigns_bound_here(
    signed_client: FlaskClient, db: Session
) -> None:
    one, two = bound_campaign(db, "ONE"), bound_campaign(db, "TWO")
    typed = {"name": "campaign", "type": 3, "value": "", "focused": True}
    body = payload(kind=4, data={"name": "presave", "options": [typed]})
    answer = post(signed_client, body).get_json()
    assert answer["type"] == 8
    assert [c["value"] for c in answer["data"]["choices"]] == [one.slug, two.slug]


def test_stopalerts_over_http(signed_client: FlaskClient, db: Session) -> None:
    bound_campaign(db)
    post(signed_client, payload())
    answer = post(signed_client, payload(data={"name": "stopalerts", "options": []})).get_json()
    assert answer["type"] == 4 and "no more DMs" in answer["data"]["content"]
    db.expire_all()
    assert db.scalar(select(Consent.status)) == "opted_out"


def test_setup_is_refused_to_a_member_without_manage_server(
    signed_client: FlaskClient, db: Session
) -> None:
    campaign = bound_campaign(db, guild="999999999999999999")
    options = [{"name": "campaign", "type": 3, "value": campaign.slug}]
    body = payload(data={"name": "presave-setup", "options": options})
    body["member"]["permissions"] = "0"
    answer = post(signed_client, body).get_json()
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    assert "Manage Server" in answer["data"]["content"]


def test_bad_bodies_and_a_missing_key(settings: Settings, signed_client: FlaskClient) -> None:
    assert post(signed_client, b"not json").status_code == 400
    assert post(signed_client, {"type": 1}).status_code == 400  # no id
    unconfigured = create_app(settings).test_client()
    assert post(unconfigured, payload(kind=1)).status_code == 503
    big = post(signed_client, b"x" * (65 * 1024))
    assert big.status_code == 413
