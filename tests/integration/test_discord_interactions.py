"""POST /webhooks/discord/interactions: Ed25519-signed requests, good, bad and replayed, and
the same commands as the gateway bot."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Consent, DiscordBinding, DiscordInteraction, FanLink
from core.services import discord_requests
from core.settings import Settings
from sandbox import SANDBOX_DISCORD_APPLICATION_ID, SANDBOX_DISCORD_BOT_TOKEN
from sandbox.server import serve
from tests.factories import make_campaign
from tests.integration.discord_helpers import (
    CHANNEL,
    FAN,
    GUILD,
    ROLE,
    allowed_campaign,
    bound_campaign,
    seed_guild,
)
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
    source = f"discord-{GUILD}"  # the server the member typed /presave in
    assert consent is not None and (consent.channel, consent.source) == ("discord", source)


def test_autocomplete_over_http_lists_the_campaigns_bound_here(
    signed_client: FlaskClient, db: Session
) -> None:
    one, two = bound_campaign(db, "ONE"), bound_campaign(db, "TWO")
    typed = {"name": "campaign", "type": 3, "value": "", "focused": True}
    body = payload(kind=4, data={"name": "presave", "options": [typed]})
    answer = post(signed_client, body).get_json()
    assert answer["type"] == 8
    assert [c["value"] for c in answer["data"]["choices"]] == [one.slug, two.slug]


def test_setup_autocomplete_over_http_lists_only_campaigns_allowed_here(
    signed_client: FlaskClient, db: Session
) -> None:
    here = allowed_campaign(db, "HERE")
    bound_campaign(db, "THERE", guild="999999999999999999")
    make_campaign(db, "NOWHERE")
    typed = {"name": "campaign", "type": 3, "value": "", "focused": True}
    body = payload(kind=4, data={"name": "presave-setup", "options": [typed]})
    body["member"]["permissions"] = str(1 << 5)  # Manage Server
    answer = post(signed_client, body).get_json()
    assert answer["type"] == 8
    assert [c["value"] for c in answer["data"]["choices"]] == [here.slug]


def test_setup_over_http_of_a_campaign_not_allowed_here_binds_nothing(
    signed_client: FlaskClient, db: Session
) -> None:
    campaign = make_campaign(db)
    body = setup_payload(campaign.slug, "tok-refused")
    body["guild"] = {"id": GUILD, "name": "Bloom\u202e Fans", "locale": "en-US"}
    answer = post(signed_client, body).get_json()
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    text = answer["data"]["content"]
    assert f"**{campaign.title}**" in text and "The artist has been asked" in text
    assert db.scalar(select(DiscordBinding.id)) is None
    [asked] = discord_requests.pending(db, campaign.id)
    assert (asked.guild_id, asked.guild_name, asked.asked_by, asked.asked_by_name) == (
        GUILD, "Bloom Fans", FAN, "fan",
    )  # fmt: skip
    body = setup_payload(campaign.slug, "tok-refused-again")  # no server name: the one kept
    text = post(signed_client, body).get_json()["data"]["content"]
    assert "asked already (2 times now)" in text
    [asked] = discord_requests.pending(db, campaign.id)
    assert (asked.times_asked, asked.guild_name) == (2, "Bloom Fans")


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


@pytest.fixture
def stand_in() -> Iterator[str]:
    server, _thread, base = serve(host="127.0.0.1", port=0)
    yield base
    server.shutdown()


def setup_payload(campaign_slug: str, token: str) -> dict[str, Any]:
    options = [
        {"name": "campaign", "type": 3, "value": campaign_slug},
        {"name": "channel", "type": 7, "value": CHANNEL},
        {"name": "role", "type": 8, "value": ROLE},
    ]
    body = payload(data={"name": "presave-setup", "options": options}, token=token)
    body["application_id"] = SANDBOX_DISCORD_APPLICATION_ID
    body["member"]["permissions"] = str(1 << 5)  # Manage Server
    return body


def test_setup_over_http_checks_the_server_through_discords_api(
    settings: Settings, db: Session, stand_in: str
) -> None:
    """/presave-setup over HTTP learns the bot's permissions from Discord's REST API; when
    those lookups are slow it is deferred, and its answer is filled in afterwards."""
    app = create_app(
        settings.with_overrides(
            discord_public_key=PUBLIC_HEX,
            discord_bot_token=SANDBOX_DISCORD_BOT_TOKEN,
            discord_api_base=f"{stand_in}/discord/api/v10",
        )
    )
    client = app.test_client()
    campaign = allowed_campaign(db)
    seed_guild(stand_in)
    quick = post(client, setup_payload(campaign.slug, "tok-quick")).get_json()
    assert quick["type"] == 4 and "now set up here" in quick["data"]["content"]
    binding = db.scalar(select(DiscordBinding))
    assert binding is not None and (binding.channel_id, binding.role_id) == (CHANNEL, ROLE)
    hidden = {"id": GUILD, "type": 0, "allow": "0", "deny": str(1 << 11)}  # no Send Messages
    seed_guild(stand_in, discord_latency_ms=800)
    guild = requests.post(
        f"{stand_in}/_sandbox/discord/guilds",
        json={
            "id": GUILD, "owner_id": "999999999999999999",
            "roles": [{"id": GUILD, "permissions": 1024 | 2048},
                      {"id": "666666666666666666", "position": 5, "permissions": 1 << 28},
                      {"id": ROLE, "name": "Pre-saver", "position": 2}],
            "bot_roles": ["666666666666666666"],
            "channels": [{"id": CHANNEL, "name": "drops", "permission_overwrites": [hidden]}],
        },
        timeout=10,
    )  # fmt: skip
    assert guild.status_code == 200
    slow = post(client, setup_payload(campaign.slug, "tok-slow")).get_json()
    assert slow == {"type": 5, "data": {"flags": 64}}
    deadline = time.monotonic() + 15
    filled: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not filled:
        filled = requests.get(
            f"{stand_in}/_sandbox/discord/interactions/tok-slow", timeout=5
        ).json()["messages"]
        time.sleep(0.2)
    assert filled and filled[0]["edit"] is True and filled[0]["flags"] == 64
    assert "Send Messages permission in #drops" in filled[0]["content"]
