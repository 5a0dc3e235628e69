"""POST /_sandbox/albums/{id}/live: an album goes live now in one market, earlier stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.sandbox_fixtures import Running, sandbox

__all__ = ["sandbox"]
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def test_album_goes_live_now_in_one_market_only(sandbox: Running) -> None:
    sandbox.admin("clock", {"now": NOW.isoformat()})
    later = NOW + timedelta(hours=1)
    album = sandbox.album(name="Night Bloom", everywhere_at=later.isoformat(),
                          live_at={"NZ": (NOW - timedelta(hours=1)).isoformat()})  # fmt: skip
    url = f"{sandbox.base}/_sandbox/albums/{album['id']}/live"
    made = sandbox.http.post(url, json={"market": "us"}).json()
    assert made["market"] == "US"
    stored = sandbox.server.app.state.catalog.album(album["id"])
    assert stored is not None and stored.markets_live(NOW + timedelta(seconds=5)) == ["NZ", "US"]
    assert not stored.live_in("DE", NOW + timedelta(seconds=5))
    again = sandbox.http.post(url, json={"market": "NZ"}).json()  # live there already: kept
    assert again["live_at"] == (NOW - timedelta(hours=1)).isoformat()


def test_album_live_refuses_unknown_albums_and_bad_markets(sandbox: Running) -> None:
    album = sandbox.album(name="Night Bloom")
    missing = sandbox.http.post(f"{sandbox.base}/_sandbox/albums/nope/live", json={"market": "US"})
    assert missing.status_code == 404
    for market in ("", "USA", "1X", None):
        answer = sandbox.http.post(
            f"{sandbox.base}/_sandbox/albums/{album['id']}/live", json={"market": market}
        )
        assert answer.status_code == 400, market
        assert "market must be a two-letter country code" in answer.json()["error"]
