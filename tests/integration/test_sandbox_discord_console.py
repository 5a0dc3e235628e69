"""The Discord simulator end to end: the sandbox signs slash commands as Discord does and
posts them to our real interactions endpoint (served on loopback); the console at
/sandbox/discord runs them as a member of the demo server and shows what came back."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from core.models import Consent, DiscordBinding, FanLink
from core.services import discord_bindings
from core.settings import Settings
from sandbox.discord_demo import (
    DEMO_ANNOUNCEMENTS_ID,
    DEMO_GUILD_ID,
    DEMO_MODERATOR_ID,
    DEMO_PRESAVER_ROLE_ID,
)
from tests.factories import make_campaign
from tests.integration.sandbox_discord_world import FAN, World, bound_to_demo, world
from web import create_app

__all__ = ["world"]


def until_filled_in(world: World, token: str, seconds: float = 20.0) -> list[dict[str, Any]]:
    """What the interaction's webhook got, once it got something (fails after `seconds`)."""
    deadline = time.monotonic() + seconds
    while True:
        kept: list[dict[str, Any]] = world.sandbox.admin(f"discord/interactions/{token}")[
            "messages"
        ]
        if kept or time.monotonic() > deadline:
            return kept
        time.sleep(0.05)


def reply(world: World, sent: dict[str, Any]) -> dict[str, Any]:
    """The message the member sees: the answer, or (when the app deferred it, as it does on
    a slow machine) the edit that filled it in."""
    if sent["answer"]["type"] == 5:
        kept = until_filled_in(world, sent["token"])
        assert kept, "the deferred answer was never filled in"
        return kept[-1]
    assert sent["answer"]["type"] == 4, sent
    data: dict[str, Any] = sent["answer"]["data"]
    return data


def link_button(message: dict[str, Any]) -> str:
    [row] = message["components"]
    [button] = row["components"]
    return str(button["url"])


def test_a_member_runs_presave_and_gets_their_personal_link(world: World, db: Session) -> None:
    campaign = bound_to_demo(db)
    sent = world.interact({"user_id": FAN, "command": "presave"})
    assert sent["status"] == 200
    answer = reply(world, sent)
    assert answer["flags"] == 64  # ephemeral: only the member sees it
    assert campaign.title in answer["content"]
    code = db.scalar(select(FanLink.code))
    assert link_button(answer) == f"{world.settings.public_url}/p/{code}"
    consent = db.scalar(select(Consent))
    assert consent is not None
    assert (consent.channel, consent.source) == ("discord", f"discord-{DEMO_GUILD_ID}")


def test_stopalerts_ends_the_member_discord_consent(world: World, db: Session) -> None:
    bound_to_demo(db)
    reply(world, world.interact({"user_id": FAN, "command": "presave"}))
    sent = world.interact({"user_id": FAN, "command": "/stopalerts"})
    assert "no more DMs" in reply(world, sent)["content"]
    db.expire_all()
    assert db.scalar(select(Consent.status)) == "opted_out"


def test_setup_needs_manage_server_and_binds_for_the_moderator(world: World, db: Session) -> None:
    campaign = make_campaign(db, "BLOOM")
    discord_bindings.allow(db, campaign, DEMO_GUILD_ID)
    db.commit()
    options = {"campaign": campaign.slug, "channel": DEMO_ANNOUNCEMENTS_ID,
               "role": DEMO_PRESAVER_ROLE_ID}  # fmt: skip
    refused = world.interact({"user_id": FAN, "command": "presave-setup", "options": options})
    assert "Manage Server" in reply(world, refused)["content"]
    assert db.scalar(select(DiscordBinding.id)) is None
    done = world.interact(
        {"user_id": DEMO_MODERATOR_ID, "command": "presave-setup", "options": options}
    )
    assert "is now set up here" in reply(world, done)["content"]
    binding = db.scalar(select(DiscordBinding))
    assert binding is not None
    assert (binding.guild_id, binding.channel_id, binding.role_id) == (
        DEMO_GUILD_ID, DEMO_ANNOUNCEMENTS_ID, DEMO_PRESAVER_ROLE_ID,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"user_id": "1399999999999999999", "command": "presave"}, "user_id: not a member"),
        ({"user_id": FAN, "command": "dance"}, "name: one of"),
        ({"user_id": FAN, "command": "presave", "options": {"campaign": 7}}, "options must be"),
        ({"user_id": FAN, "command": "presave", "guild_id": "1399999999999999999"}, "guild_id"),
        ({"user_id": FAN, "command": "presave", "url": "http://10.0.0.1/x"}, "url must be"),
        ({"command": "presave"}, "user_id: required"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    world: World, db: Session, body: dict[str, Any], problem: str
) -> None:
    bound_to_demo(db)
    refused = world.interact(body, status=400)
    assert problem in refused["error"]
    assert db.scalar(select(func.count()).select_from(Consent)) == 0


def test_a_signature_our_app_does_not_trust_is_refused(world: World, db: Session) -> None:
    bound_to_demo(db)
    other = create_app(world.settings.with_overrides(discord_public_key="11" * 32))
    server = make_server("127.0.0.1", 0, other, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.port}/webhooks/discord/interactions"
        sent = world.interact({"user_id": FAN, "command": "presave", "url": url}, status=502)
    finally:
        server.shutdown()
    assert sent["status"] == 401 and "invalid request signature" in sent["error"]
    assert db.scalar(select(func.count()).select_from(Consent)) == 0


def test_the_console_runs_presave_and_shows_the_answer_and_the_feed(
    world: World, db: Session
) -> None:
    bound_to_demo(db)
    page = world.client.get("/sandbox/discord")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Night Bloom Fans" in text
    for name in ("nightowl_mod", "luna_petal", "fern_echo", "sol_moth", "#announcements"):
        assert name in text
    status, text = world.console(member=FAN, command="presave")
    assert status == 200
    code = db.scalar(select(FanLink.code))
    assert f'href="{world.settings.public_url}/p/{code}"' in text
    assert "Only luna_petal can see this" in text
    feed = world.client.get("/sandbox/discord/feed.json").get_json()
    assert [m["username"] for m in feed["members"]] == [
        "nightowl_mod", "luna_petal", "fern_echo", "sol_moth",
    ]  # fmt: skip
    assert feed["channels"] == {DEMO_ANNOUNCEMENTS_ID: [], "1300000000000000012": []}


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"member": "1399999999999999999", "command": "presave"}, "member"),
        ({"member": FAN, "command": "dance"}, "command"),
        ({"member": FAN, "command": "presave", "campaign": "x" * 101}, "campaign"),
        ({"member": FAN, "command": "presave-setup", "campaign": "bloom",
          "channel": "1", "role": DEMO_PRESAVER_ROLE_ID}, "channel"),
    ],
)  # fmt: skip
def test_the_console_refuses_bad_input_naming_the_field(
    world: World, db: Session, form: dict[str, str], field: str
) -> None:
    bound_to_demo(db)
    status, text = world.console(**form)
    assert status == 422
    assert f'id="dsim-{field}-error"' in text
    assert db.scalar(select(func.count()).select_from(Consent)) == 0


def test_the_console_is_absent_outside_sandbox_mode(settings: Settings) -> None:
    client = create_app(settings).test_client()
    assert client.get("/sandbox/discord").status_code == 404
    assert client.get("/sandbox/discord/feed.json").status_code == 404


def test_a_deferred_answer_is_captured_and_shown_once_filled_in(
    world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app answers "thinking" when a command takes longer than DEFER_AFTER, and fills
    its reply in through the interaction's webhook: the sandbox keeps that edit, and the
    console shows the reply, not the "thinking"."""
    from bot import discord_http

    monkeypatch.setattr(discord_http, "DEFER_AFTER", 0.0)  # every command is "slow"
    bound_to_demo(db)
    sent = world.interact({"user_id": FAN, "command": "presave"})
    assert sent["answer"] == {"type": 5, "data": {"flags": 64}}
    status, text = world.console(member=FAN, command="presave")
    assert status == 200 and "thinking" not in text
    code = db.scalar(select(FanLink.code))
    assert f'href="{world.settings.public_url}/p/{code}"' in text
    kept = until_filled_in(world, sent["token"])
    assert [m["edit"] for m in kept] == [True]
    assert "Night Bloom" in kept[0]["content"]
