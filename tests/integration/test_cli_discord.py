"""`presave discord allow|disallow|list`: the artist's consent that a server may bind a
campaign, recorded with an audit event; bad input is one `error:` line, exit 2, nothing
written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import DiscordAllowance, Event
from core.services import discord_bindings
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.cli_helpers import env, run
from tests.integration.discord_helpers import CHANNEL, GUILD, MOD, ROLE

__all__ = ["env"]  # a fixture: imported for pytest to find

OTHER = "99999999999999999"  # 17 digits: the shortest server id


def allowed(db: Session) -> list[tuple[int, str]]:
    db.expire_all()
    rows = db.execute(select(DiscordAllowance.campaign_id, DiscordAllowance.guild_id))
    return sorted((int(c), str(g)) for c, g in rows)


def audit(db: Session) -> list[tuple[str, int | None, str | None]]:
    rows = db.execute(
        select(Event.kind, Event.campaign_id, Event.source)
        .where(Event.kind.like("discord_%allowed"))
        .order_by(Event.id)
    )
    return [(k, c, s) for k, c, s in rows]


def test_allow_list_and_disallow(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = make_campaign(db)

    code, out, err = run(capsys, "discord", "allow", campaign.slug, GUILD)
    assert (code, err) == (0, "")
    assert f"server {GUILD} allowed" in out and "/presave-setup" in out
    assert allowed(db) == [(campaign.id, GUILD)]
    code, out, _ = run(capsys, "discord", "allow", campaign.slug, GUILD)
    assert code == 0 and "already allowed" in out
    assert run(capsys, "discord", "allow", campaign.slug, OTHER)[0] == 0
    assert allowed(db) == sorted([(campaign.id, GUILD), (campaign.id, OTHER)])

    discord_bindings.bind(db, campaign.slug, GUILD, CHANNEL, ROLE, MOD)
    db.commit()
    code, out, _ = run(capsys, "discord", "list", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [(r["slug"], r["guild_id"], r["bound"]) for r in rows] == [
        (campaign.slug, GUILD, True),
        (campaign.slug, OTHER, False),
    ]
    code, out, _ = run(capsys, "discord", "list", campaign.slug)
    assert code == 0 and "bound" in out and "not set up yet" in out

    code, out, _ = run(capsys, "discord", "disallow", campaign.slug, OTHER)
    assert code == 0 and f"server {OTHER} disallowed" in out
    assert allowed(db) == [(campaign.id, GUILD)]
    code, out, _ = run(capsys, "discord", "disallow", campaign.slug, OTHER)
    assert code == 0 and "was not allowed; nothing changed" in out

    assert audit(db) == [
        ("discord_allowed", campaign.id, GUILD),
        ("discord_allowed", campaign.id, OTHER),
        ("discord_disallowed", campaign.id, OTHER),
    ]


def test_list_with_nothing_allowed(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "discord", "list")
    assert code == 0 and "no server allowed yet" in out


BAD = [
    (["discord", "allow", "{slug}", "1234567890123456"], "GUILD_ID"),  # 16 digits
    (["discord", "allow", "{slug}", "123456789012345678901"], "GUILD_ID"),  # 21 digits
    (["discord", "allow", "{slug}", "18446744073709551616"], "GUILD_ID"),  # over 64 bits
    (["discord", "allow", "{slug}", "my-server"], "GUILD_ID"),
    (["discord", "allow", "{slug}", "-111111111111111111"], "GUILD_ID"),
    (["discord", "allow", "{slug}", ""], "GUILD_ID"),
    (["discord", "allow", "{slug}"], "GUILD_ID"),
    (["discord", "allow", "no-such-campaign", GUILD], "slug"),
    (["discord", "disallow", "{slug}", "12345"], "GUILD_ID"),
    (["discord", "disallow", "no-such-campaign", GUILD], "slug"),
    (["discord", "list", "no-such-campaign"], "slug"),
]


@pytest.mark.parametrize(("argv", "field"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    env: Settings,
    db: Session,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    field: str,
) -> None:
    campaign = make_campaign(db)
    code, out, err = run(capsys, *[a.format(slug=campaign.slug) for a in argv])
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {field}: ") and err.count("\n") == 1, err
    assert allowed(db) == [] and audit(db) == []
    assert db.scalar(select(func.count()).select_from(DiscordAllowance)) == 0
