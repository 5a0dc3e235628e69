"""The sandbox signs interactions as Discord does: our verifier takes its signatures, and
the interactions it builds are ones our endpoint accepts (and reads the caller from)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import discord_http
from core.discord_permissions import MANAGE_GUILD
from core.settings import load_settings
from sandbox import discord_signing
from sandbox.discord_demo import (
    DEMO_ANNOUNCEMENTS_ID,
    DEMO_GUILD_ID,
    DEMO_MODERATOR_ID,
    DEMO_PRESAVER_ROLE_ID,
    seed_demo,
)
from sandbox.discord_payload import Command, PayloadError, interaction
from sandbox.state import SandboxState
from sandbox.wiring import provider_env

FAN = "1300000000000000102"
APP = "1200000000000000001"


def test_our_verifier_accepts_the_sandbox_signature() -> None:
    body = b'{"type":1}'
    signature = discord_signing.sign("1765000000", body)
    assert discord_http.verify(discord_signing.public_key_hex(), signature, "1765000000", body)


def test_a_tampered_body_or_timestamp_is_rejected() -> None:
    body = b'{"type":2,"data":{"name":"presave"}}'
    signature = discord_signing.sign("1765000000", body)
    key = discord_signing.public_key_hex()
    tampered = body.replace(b"presave", b"stopalerts")
    assert not discord_http.verify(key, signature, "1765000000", tampered)
    assert not discord_http.verify(key, signature, "1765000001", body)


def test_presave_up_gives_our_app_the_sandbox_public_key(tmp_path: Path) -> None:
    env = provider_env("http://127.0.0.1:5055", ["discord"])
    assert env["DISCORD_PUBLIC_KEY"] == discord_signing.public_key_hex()
    loaded = load_settings(
        {"PRESAVE_ENV": "test", "INSTANCE_PATH": str(tmp_path), **env},
        dotenv_path=tmp_path / "no.env",
    )
    assert loaded.discord_public_key == discord_signing.public_key_hex()


@pytest.fixture
def state() -> SandboxState:
    seeded = SandboxState(None)
    seed_demo(seeded)
    return seeded


def build(state: SandboxState, user: str, name: str, **options: str) -> dict[str, object]:
    command = Command(DEMO_GUILD_ID, DEMO_ANNOUNCEMENTS_ID, user, name, options)
    return interaction(state.discord, command, APP, APP, state.discord.snowflake())


def test_a_built_presave_is_an_interaction_our_endpoint_takes(state: SandboxState) -> None:
    payload = build(state, FAN, "presave", campaign="night-bloom")
    assert discord_http.problem(json.loads(json.dumps(payload))) is None
    assert payload["type"] == 2 and payload["guild_id"] == DEMO_GUILD_ID
    assert payload["data"]["options"] == [  # type: ignore[index]
        {"name": "campaign", "type": 3, "value": "night-bloom"}
    ]
    caller = discord_http.caller_of(payload)
    assert (caller.user_id, caller.guild_id, caller.can_manage_guild) == (
        FAN, DEMO_GUILD_ID, False,
    )  # fmt: skip
    assert caller.user_name == "luna_petal"


def test_the_moderator_has_manage_server_and_setup_options_resolve(state: SandboxState) -> None:
    payload = build(
        state, DEMO_MODERATOR_ID, "presave-setup", campaign="night-bloom",
        channel=DEMO_ANNOUNCEMENTS_ID, role=DEMO_PRESAVER_ROLE_ID,
    )  # fmt: skip
    assert discord_http.problem(payload) is None
    assert int(payload["member"]["permissions"]) & MANAGE_GUILD  # type: ignore[index]
    assert discord_http.caller_of(payload).can_manage_guild
    resolved = payload["data"]["resolved"]  # type: ignore[index]
    assert resolved["channels"][DEMO_ANNOUNCEMENTS_ID]["name"] == "announcements"
    assert resolved["roles"][DEMO_PRESAVER_ROLE_ID]["name"] == "Pre-saver"


@pytest.mark.parametrize(
    ("user", "name", "options", "problem"),
    [
        ("1399999999999999999", "presave", {}, "user_id: not a member"),
        (FAN, "dance", {}, "name: one of"),
        (FAN, "presave", {"colour": "red"}, "options.colour: /presave has no such option"),
        (FAN, "presave", {"campaign": "x" * 101}, "options.campaign: at most 100"),
        (FAN, "presave-setup", {"campaign": "a", "channel": DEMO_ANNOUNCEMENTS_ID},
         "options.role: required"),
        (FAN, "presave-setup", {"campaign": "a", "channel": "1399999999999999999",
                                "role": DEMO_PRESAVER_ROLE_ID}, "options.channel: no such channel"),
    ],
)  # fmt: skip
def test_bad_commands_are_refused_naming_the_field(
    state: SandboxState, user: str, name: str, options: dict[str, str], problem: str
) -> None:
    with pytest.raises(PayloadError, match=problem):
        build(state, user, name, **options)
