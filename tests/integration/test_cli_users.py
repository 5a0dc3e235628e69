"""presave user create|reset-link, and campaign create --team."""

from __future__ import annotations

import html

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Artist, AuditEntry, Campaign, Team, User
from core.settings import Settings
from tests.integration.artist_helpers import csrf_of
from tests.integration.cli_helpers import env, run
from tests.integration.test_cli_campaigns import GOOD

__all__ = ["env"]  # a fixture: imported for pytest to find
PASSWORD = "correct horse battery"


def link_path(out: str, prefix: str) -> str:
    line = out.strip().splitlines()[-1]
    assert line.startswith(f"https://presave.example.test{prefix}"), out
    return line.removeprefix("https://presave.example.test")


def test_user_create_prints_a_link_that_signs_in_once(
    env: Settings, capsys: pytest.CaptureFixture[str], app: Flask, redis_conn: redis.Redis
) -> None:
    code, out, err = run(
        capsys, "user", "create", "--email", "Mira@Label.example", "--team", "Label"
    )
    assert (code, err) == (0, "") and "mira@label.example is owner of Label" in out
    path = link_path(out, "/app/sign-in/")
    client = app.test_client()
    data = {"csrf_token": csrf_of(client, path), "password": PASSWORD, "confirm": PASSWORD}
    assert client.post(path, data=data).status_code == 302
    assert client.get("/app/campaigns").status_code == 200
    assert app.test_client().get(path).status_code == 410  # a second use is refused


def test_user_create_refuses_a_bad_email(
    env: Settings, capsys: pytest.CaptureFixture[str], db: Session
) -> None:
    code, out, err = run(capsys, "user", "create", "--email", "nope", "--team", "Label")
    assert code == 2 and out == "" and err.startswith("error: email:")
    assert db.scalar(select(func.count()).select_from(User)) == 0
    assert db.scalar(select(func.count()).select_from(Team)) == 0
    code, _, err = run(
        capsys, "user", "create", "--email", "a@b.example", "--team", "T", "--role", "boss"
    )
    assert code == 2 and "--role" in err


def test_reset_link(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "user", "create", "--email", "mira@label.example", "--team", "Label")
    code, out, _ = run(capsys, "user", "reset-link", "MIRA@label.example")
    assert code == 0 and "/app/reset/" in link_path(out, "/app/reset/")
    code, out, err = run(capsys, "user", "reset-link", "nobody@label.example")
    assert code == 2 and out == "" and err.startswith("error: email: no account")


def test_campaign_create_with_a_team(
    env: Settings, capsys: pytest.CaptureFixture[str], db: Session
) -> None:
    code, _, err = run(capsys, "campaign", "create", *GOOD, "--team", "Nobody")
    assert code == 2 and err.startswith("error: --team: no team is named 'Nobody'")
    assert db.scalar(select(func.count()).select_from(Campaign)) == 0
    run(capsys, "user", "create", "--email", "mira@label.example", "--team", "Label")
    code, _, err = run(capsys, "campaign", "create", *GOOD, "--team", "Label", "--json")
    assert code == 0, err
    artist = db.scalar(select(Artist))
    team = db.scalar(select(Team))
    assert artist is not None and team is not None and artist.team_id == team.id
    entry = db.scalar(select(AuditEntry))
    assert entry is not None and entry.action == "created" and entry.user_id is None
    run(capsys, "user", "create", "--email", "x@other.example", "--team", "Other")
    args = [*GOOD, "--keyword", "OTHERKW", "--team", "Other"]
    code, _, err = run(capsys, "campaign", "create", *args)
    assert code == 2 and "already belongs to another team" in html.unescape(err)
    assert db.scalar(select(func.count()).select_from(Campaign)) == 1
