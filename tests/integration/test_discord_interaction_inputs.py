"""POST /webhooks/discord/interactions with signed but malformed fields: the same 4xx on
SQLite and PostgreSQL, nothing recorded."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select

from cli import migrate
from core.models import Consent, DiscordInteraction, Fan
from core.settings import Settings
from tests.integration.discord_helpers import FAN, GUILD
from web import create_app

URL = "/webhooks/discord/interactions"
KEY = Ed25519PrivateKey.generate()
PUBLIC_HEX = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
_ids = iter(range(800000000000000000, 899999999999999999))


def interaction(**extra: Any) -> dict[str, Any]:
    """A /presave command from a member of GUILD, as Discord posts it."""
    body: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": "777777777777777777",
        "type": 2,
        "token": "interaction-token",
        "version": 1,
        "guild_id": GUILD,
        "member": {"user": {"id": FAN, "username": "fan"}, "roles": [], "permissions": "0"},
        "data": {"id": "1", "name": "presave", "type": 1, "options": []},
    }
    body.update(extra)
    return body


def post(client: FlaskClient, body: dict[str, Any] | bytes, stamp: str | None = None) -> Any:
    """The body signed with KEY at `stamp` (now by default)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = str(int(time.time())) if stamp is None else stamp
    headers = {
        "X-Signature-Ed25519": KEY.sign(stamp.encode() + raw).hex(),
        "X-Signature-Timestamp": stamp,
    }
    return client.post(URL, data=raw, headers=headers, content_type="application/json")


def bad_bodies() -> list[tuple[str, dict[str, Any] | bytes]]:
    """Signed interactions with one field out of bounds each."""
    member = {"user": {"id": FAN}, "permissions": "0"}

    def option(value: str, kind: int = 3, name: str = "campaign") -> dict[str, Any]:
        return interaction(data={"name": "presave", "options": [
            {"name": name, "type": kind, "value": value}]})  # fmt: skip

    deep = b'{"id": "800000000000000001", "x": ' + b"[" * 20000 + b"]" * 20000 + b"}"
    return [
        ("id over 24 characters", interaction(id="1" * 30)),
        ("id of 25 digits", interaction(id="9" * 25)),
        ("id of other digits", interaction(id="١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨")),
        ("id too short", interaction(id="12")),
        ("id with a NUL", interaction(id="80000000000000000\x00")),
        ("guild id too long", interaction(guild_id="1" * 40)),
        ("guild id with a NUL", interaction(guild_id="11111111111111111\x00")),
        ("user id too long", interaction(member={**member, "user": {"id": "5" * 40}})),
        ("user id with a NUL", interaction(member={**member, "user": {"id": "5\x00"}})),
        ("application id", interaction(application_id="7" * 40)),
        ("token too long", interaction(token="t" * 5000)),
        ("token with a NUL", interaction(token="tok\x00en")),
        ("command name", interaction(data={"name": "p" * 200, "type": 1, "options": []})),
        ("option value with a NUL", option("a\x00b")),
        ("option value too long", option("a" * 5000)),
        ("channel option not a snowflake", option("2" * 40, kind=7, name="channel")),
        ("custom id", interaction(type=3, data={"custom_id": "c" * 500, "component_type": 2})),
        ("a NUL in a field we do not read", interaction(locale="en\x00US")),
        ("nested too deep", deep),
    ]


def refused_the_same(client: FlaskClient) -> None:
    """Every bad body answers 400 naming the problem; nothing is recorded."""
    for label, body in bad_bodies():
        answer = post(client, body)
        assert answer.status_code == 400, (label, answer.status_code, answer.get_data()[:200])
        assert answer.mimetype == "text/plain", label


def counts(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = tuple(
            int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in (DiscordInteraction, Fan, Consent)
        )
    engine.dispose()
    return found  # type: ignore[return-value]


def test_malformed_fields_get_400_on_sqlite(settings: Settings) -> None:
    client = create_app(settings.with_overrides(discord_public_key=PUBLIC_HEX)).test_client()
    refused_the_same(client)
    assert counts(settings.database_url) == (0, 0, 0)
    assert post(client, interaction(type=1)).status_code == 200  # a good one still passes


@pytest.fixture
def pg_settings(settings: Settings, pg_url: str) -> Iterator[Settings]:
    migrate.upgrade(pg_url)
    yield settings.with_overrides(database_url=pg_url, discord_public_key=PUBLIC_HEX)


@pytest.mark.postgres
def test_malformed_fields_get_the_same_400_on_postgres(pg_settings: Settings) -> None:
    client = create_app(pg_settings).test_client()
    refused_the_same(client)
    assert counts(pg_settings.database_url) == (0, 0, 0)
    assert post(client, interaction(type=1)).status_code == 200


@pytest.mark.parametrize(
    "stamp", ["999999999999", "99999999999999999999", "-1", "-99999999999", "1e9", "", "abc",
              "²", " 1700000000"],
)  # fmt: skip
def test_a_signed_timestamp_out_of_range_is_refused_with_401(
    settings: Settings, stamp: str
) -> None:
    client = create_app(settings.with_overrides(discord_public_key=PUBLIC_HEX)).test_client()
    answer = post(client, interaction(type=1), stamp=stamp)
    assert answer.status_code == 401
    assert counts(settings.database_url)[0] == 0
