"""`presave release check|mark-live`: the lookup and records of the watch; bad input exits 2."""

from __future__ import annotations

import json
import sys
import types
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import responses
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import cli
from core.models import Campaign, Event, ReleaseMarket
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.spotify_stubs import ACCOUNTS, API, rsps
from tests.integration.test_release_watch_support import (
    ALBUM_ID,
    ISRC,
    RELEASE_AT,
    UPC,
    FakeCatalog,
    Starts,
    add_fan,
    detections,
    fresh_app_tokens,
    live_markets,
    reload,
)

__all__ = ["fresh_app_tokens", "rsps"]  # fixtures used below

OTHER_ALBUM = "0sNOF9WDwhWunNAHPD3Baj"


@pytest.fixture
def env(
    settings: Settings, redis_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Settings:
    """The CLI's environment: the test database and Redis, Spotify on stubbed hosts."""
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "PRESAVE_ENV": "test",
        "INSTANCE_PATH": str(settings.instance_path),
        "DATABASE_URL": settings.database_url,
        "PUBLIC_URL": settings.public_url,
        "REDIS_URL": redis_url,
        "SPOTIFY_CLIENT_ID": "test-client-id",
        "SPOTIFY_CLIENT_SECRET": "test-client-secret",
        "SPOTIFY_ACCOUNTS_BASE": ACCOUNTS,
        "SPOTIFY_API_BASE": API,
    }.items():
        monkeypatch.setenv(name, value)
    return settings


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch, redis_conn: redis.Redis) -> Starts:
    """The drop fan-out (workers.fanout.start_drop) replaced by a recorder."""
    recorder = Starts()
    fake = types.ModuleType("workers.fanout")
    fake.start_drop = recorder  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "workers.fanout", fake)
    return recorder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def campaign(
    db: Session,
    *countries: str | None,
    keyword: str = "BLOOM",
    release_at: str = RELEASE_AT,
    **ids: object,
) -> Campaign:
    made = make_campaign(
        db,
        keyword,
        release_at=release_at,
        timezone="America/New_York",
        **{"spotify_album_id": None, **(ids or {"upc": UPC})},
    )
    for country in countries:
        add_fan(db, made, country)
    return made


def snapshot(db: Session, campaign_id: int) -> tuple[object, ...]:
    """Everything the commands may write."""
    c = reload(db, campaign_id)
    return (
        db.scalar(select(func.count()).select_from(ReleaseMarket)),
        db.scalar(select(func.count()).select_from(Event)),
        c.spotify_album_id,
        c.release_album_id,
        c.detected_at,
        c.detected_market,
        c.last_checked_at,
        c.next_check_at,
    )


def test_check_finds_records_and_starts_the_drop(
    env: Settings,
    db: Session,
    rsps: responses.RequestsMock,
    starts: Starts,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spotify = FakeCatalog(live={"NZ"}).install(rsps)
    made = campaign(db, "NZ", "US")

    code, out, err = run(capsys, "release", "check", made.slug)

    assert code == 0, err
    assert sorted(spotify.calls) == [(f"upc:{UPC}", "NZ"), (f"upc:{UPC}", "US")]
    assert f"{made.slug}: looked up by upc" in out
    assert f"NZ  live, album {ALBUM_ID} (new)" in out
    assert "US  not live yet" in out
    assert "drop started for NZ" in out
    assert live_markets(db, made.id) == {"NZ": (ALBUM_ID, "upc")}
    assert detections(db, made.id) == ["NZ"]
    assert reload(db, made.id).next_check_at is not None
    assert starts.campaigns == [made.id]

    # Checking again finds nothing new and starts nothing.
    code, out, _ = run(capsys, "release", "check", made.slug, "--market", "nz", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["results"] == [{"market": "NZ", "live": True, "album_id": ALBUM_ID, "new": False}]
    assert data["drop"]["detected_market"] == "NZ"
    assert data["started"] == [] and starts.campaigns == [made.id]


def test_check_that_finds_nothing_records_nothing(
    env: Settings,
    db: Session,
    rsps: responses.RequestsMock,
    starts: Starts,
    capsys: pytest.CaptureFixture[str],
) -> None:
    FakeCatalog(live=set()).install(rsps)
    made = campaign(db, "US", spotify_album_id=ALBUM_ID)

    code, out, _ = run(capsys, "release", "check", made.slug, "--json")

    data = json.loads(out)
    assert code == 0
    assert data["method"] == "album_id"
    assert data["results"] == [{"market": "US", "live": False, "album_id": None, "new": False}]
    assert data["drop"]["detected_at"] is None and data["drop"]["markets"] == {}
    assert live_markets(db, made.id) == {} and starts.campaigns == []
    assert reload(db, made.id).last_checked_at is not None


def test_check_when_spotify_says_wait_exits_1_and_records_nothing(
    env: Settings,
    db: Session,
    rsps: responses.RequestsMock,
    starts: Starts,
    capsys: pytest.CaptureFixture[str],
) -> None:
    FakeCatalog(live={"US"}, retry_after="30").install(rsps)
    made = campaign(db, "US")
    before = snapshot(db, made.id)

    code, out, err = run(capsys, "release", "check", made.slug)

    assert code == 1
    assert out == "" and err.startswith("error: spotify: ") and err.count("\n") == 1
    assert snapshot(db, made.id) == before and starts.campaigns == []


def test_mark_live_with_the_right_album_in_one_market(
    env: Settings,
    db: Session,
    rsps: responses.RequestsMock,
    starts: Starts,
    capsys: pytest.CaptureFixture[str],
) -> None:
    made = campaign(db, "NZ", "US")

    code, out, err = run(
        capsys, "release", "mark-live", made.slug, "--album-id", OTHER_ALBUM, "--market", "us"
    )

    assert code == 0, err
    assert "drop started for US" in out
    assert live_markets(db, made.id) == {"US": (OTHER_ALBUM, "manual")}
    after = reload(db, made.id)
    assert (after.detected_market, after.release_album_id) == ("US", OTHER_ALBUM)
    assert after.spotify_album_id == OTHER_ALBUM, "the watch now looks up the right album"
    assert after.next_check_at is not None, "NZ is still watched"
    assert starts.campaigns == [made.id]
    assert len(rsps.calls) == 0, "a manual mark asks Spotify nothing"

    code, out, _ = run(capsys, "campaign", "show", made.slug)
    assert code == 0
    assert f"detected   {after.detected_at.isoformat() if after.detected_at else ''} in US" in out


def test_mark_live_everywhere_the_fans_are(
    env: Settings,
    db: Session,
    rsps: responses.RequestsMock,
    starts: Starts,
    capsys: pytest.CaptureFixture[str],
) -> None:
    made = campaign(db, "NZ", "US", "US", spotify_album_id=ALBUM_ID)

    code, out, err = run(capsys, "release", "mark-live", made.slug, "--all-markets", "--json")

    data = json.loads(out)
    assert code == 0, err
    assert sorted(data["started"]) == ["NZ", "US"]
    assert set(data["drop"]["markets"]) == {"NZ", "US"}
    assert live_markets(db, made.id) == {"NZ": (ALBUM_ID, "manual"), "US": (ALBUM_ID, "manual")}
    assert reload(db, made.id).next_check_at is None, "every fan market is live"
    assert starts.campaigns == [made.id, made.id]

    code, out, _ = run(capsys, "release", "mark-live", made.slug)
    assert code == 0 and "no new market recorded" in out
    assert starts.campaigns == [made.id, made.id]


def in_hours(hours: float) -> str:
    """A release time this many hours from now, as an artist would type it."""
    return (utcnow() + timedelta(hours=hours)).isoformat(timespec="seconds")


def test_mark_live_long_before_the_release_needs_force(
    env: Settings,
    db: Session,
    rsps: responses.RequestsMock,
    starts: Starts,
    capsys: pytest.CaptureFixture[str],
) -> None:
    made = campaign(db, "NZ", "US", release_at=in_hours(16 * 24), spotify_album_id=ALBUM_ID)
    before = snapshot(db, made.id)

    code, out, err = run(capsys, "release", "mark-live", made.slug, "--market", "US")

    assert (code, out) == (2, "")
    assert err.startswith("error: --force: required to mark it live more than 26 hours before")
    assert snapshot(db, made.id) == before and starts.campaigns == []

    code, out, err = run(capsys, "release", "mark-live", made.slug, "--market", "US", "--force")

    assert code == 0, err
    assert "drop started for US" in out
    assert live_markets(db, made.id) == {"US": (ALBUM_ID, "manual")}
    assert starts.campaigns == [made.id]


def test_mark_live_within_26_hours_of_the_release_needs_no_force(
    env: Settings,
    db: Session,
    rsps: responses.RequestsMock,
    starts: Starts,
    capsys: pytest.CaptureFixture[str],
) -> None:
    made = campaign(db, "NZ", release_at=in_hours(25), spotify_album_id=ALBUM_ID)

    code, _, err = run(capsys, "release", "mark-live", made.slug, "--market", "nz")

    assert code == 0, err
    assert live_markets(db, made.id) == {"NZ": (ALBUM_ID, "manual")}
    assert starts.campaigns == [made.id]


BAD = [
    (["release", "check", "no-such-campaign"], "slug"),
    (["release", "check", "{slug}", "--market", "USA"], "--market"),
    (["release", "check", "{slug}", "--market", "1X"], "--market"),
    (["release", "check", "{slug}", "--market", ""], "--market"),
    (["release", "check", "{slug}", "--market", "XX"], "--market"),
    (["release", "check", "{bare}"], "slug"),
    (["release", "check"], "slug"),
    (["release", "check", "{slug}", "--bogus"], "--bogus"),
    (["release", "nope", "{slug}"], "subcommand"),
    (["release", "mark-live", "no-such-campaign"], "slug"),
    (["release", "mark-live", "{slug}", "--album-id", "short"], "album-id"),
    (["release", "mark-live", "{slug}", "--album-id", "spotify:track:" + ALBUM_ID], "album-id"),
    (["release", "mark-live", "{slug}", "--market", "NZL"], "--market"),
    (["release", "mark-live", "{slug}", "--market", "XX"], "--market"),
    (["release", "mark-live", "{slug}", "--market", "zz"], "--market"),
    (["release", "mark-live", "{slug}", "--market", "CN"], "--market"),
    (["release", "mark-live", "{soon}", "--market", "QQ"], "--market"),
    (["release", "mark-live", "{later}"], "--force"),
    (["release", "mark-live", "{later}", "--market", "US"], "--force"),
    (["release", "mark-live", "{later}", "--all-markets", "--json"], "--force"),
    (["release", "mark-live", "{slug}", "--market", "US", "--all-markets"], "--all-markets"),
    (["release", "mark-live", "{isrc}"], "album-id"),
]


@pytest.mark.parametrize(("argv", "field"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    env: Settings,
    db: Session,
    rsps: responses.RequestsMock,
    starts: Starts,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    field: str,
) -> None:
    FakeCatalog(live={"NZ", "US"}).install(rsps)
    made = campaign(db, "NZ", "US")
    bare = campaign(db, "US", keyword="BARE", spotify_album_id=None, upc=None)
    by_isrc = campaign(db, "US", keyword="SINGLE", isrc=ISRC)
    soon = campaign(db, "US", keyword="SOON", release_at=in_hours(20))
    later = campaign(
        db, "NZ", "US", keyword="LATER", release_at=in_hours(16 * 24), spotify_album_id=ALBUM_ID
    )
    made_all = (made, bare, by_isrc, soon, later)
    before = [snapshot(db, c.id) for c in made_all]
    names = {"slug": made.slug, "bare": bare.slug, "isrc": by_isrc.slug}
    names.update(soon=soon.slug, later=later.slug)

    code, out, err = run(capsys, *[a.format(**names) for a in argv])

    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {field}: ") and err.count("\n") == 1, err
    assert [snapshot(db, c.id) for c in made_all] == before
    assert starts.campaigns == [], "no drop started"
    assert len(rsps.calls) == 0 and starts.campaigns == []


def test_check_without_a_spotify_app_says_which_setting(
    env: Settings,
    db: Session,
    starts: Starts,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SPOTIFY_CLIENT_ID")
    monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE", "https://accounts.spotify.com")
    made = campaign(db, "US")
    before = snapshot(db, made.id)

    code, out, err = run(capsys, "release", "check", made.slug)

    assert code == 2 and out == ""
    assert err.startswith("error: SPOTIFY_CLIENT_ID: ") and err.count("\n") == 1
    assert snapshot(db, made.id) == before
