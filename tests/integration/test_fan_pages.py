"""The public campaign page and the personal link page: sources, clicks, hints, 404s."""

from __future__ import annotations

import html

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.models import Campaign, Event, PageVisit
from core.services.traffic import Device, device_of, source_of
from tests.factories import make_campaign
from tests.integration.spotify_stubs import (
    count,
    fan_link,
    rsps,
    sp_app,
    sp_client,
    sp_settings,
)

__all__ = ["rsps", "sp_app", "sp_client", "sp_settings"]  # fixtures used below

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
UAS = {
    Device.INAPP_INSTAGRAM: IPHONE.replace("Safari/604.1", "Instagram 330.0.0.40.92 (iPhone15,3)"),
    Device.INAPP_TIKTOK: "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 musical_ly_2023",
    Device.INAPP_FACEBOOK: IPHONE + " [FBAN/FBIOS;FBAV/460.0.0.33.109;FBBV/123]",
    Device.IOS: IPHONE,
    Device.ANDROID: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126",
    Device.DESKTOP: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126",
    Device.OTHER: "curl/8.5.0",
}


def text_of(client: FlaskClient, path: str, **headers: str) -> tuple[int, str]:
    response = client.get(path, headers=headers)
    return response.status_code, html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(("device", "ua"), UAS.items(), ids=[d.value for d in UAS])
def test_user_agent_classes(device: Device, ua: str) -> None:
    assert device_of(ua) == device


def test_bytedance_webview_and_missing_ua() -> None:
    assert device_of("Mozilla/5.0 (iPhone) BytedanceWebview/d8a21c6") == Device.INAPP_TIKTOK
    assert device_of(None) == Device.OTHER


@pytest.mark.parametrize(
    ("ref", "utm", "expected"),
    [
        ("Newsletter", "instagram", "newsletter"),
        (None, "Instagram Story!", "instagram-story"),
        ("", "", "web"),
        ("  ", "%%%", "web"),
        ("x" * 50, None, "x" * 32),
        ("tiktok_bio-2", None, "tiktok_bio-2"),
    ],
)
def test_source_is_ref_else_utm_source_else_web(
    ref: str | None, utm: str | None, expected: str
) -> None:
    assert source_of(ref, utm) == expected


def test_campaign_page_shows_the_release_and_records_the_source(
    client: FlaskClient, db: Session
) -> None:
    campaign = make_campaign(db)
    db.execute(update(Campaign).values(artwork_url="https://cdn.example.test/cover.jpg"))
    db.commit()
    status, body = text_of(
        client,
        f"/c/{campaign.slug}?utm_source=Instagram&utm_medium=Story&utm_campaign=Drop_Week",
        **{"User-Agent": UAS[Device.ANDROID]},
    )
    assert status == 200
    assert "Mira Vale" in body and campaign.title in body
    assert 'src="https://cdn.example.test/cover.jpg"' in body and 'alt="Cover art of' in body
    iso = campaign.release_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'data-countdown="{iso}"' in body and 'role="timer"' in body
    assert f'datetime="{iso}"' in body and " UTC</time>" in body
    assert "/static/presave.js" in body and "https://" not in body.split("<main")[0]
    # Spotify is not configured in these settings: the button explains instead of crashing.
    assert "Spotify isn't connected to this service yet" in body

    event = db.scalar(select(Event).where(Event.kind == "page_view"))
    assert event is not None and event.source == "instagram" and event.campaign_id == campaign.id
    visit = db.scalar(select(PageVisit).where(PageVisit.event_id == event.id))
    assert visit is not None
    assert (visit.device, visit.utm_medium, visit.utm_campaign) == ("android", "story", "drop_week")


def test_campaign_page_with_spotify_links_the_button_with_the_source(
    sp_client: FlaskClient, db: Session
) -> None:
    campaign = make_campaign(db)
    status, body = text_of(sp_client, f"/c/{campaign.slug}?ref=Mira_Newsletter")
    assert status == 200
    assert f'href="/c/{campaign.slug}/authorize?src=mira_newsletter"' in body
    assert "Pre-save on Spotify" in body


def test_campaign_page_headers_keep_scripts_local(client: FlaskClient, db: Session) -> None:
    campaign = make_campaign(db)
    response = client.get(f"/c/{campaign.slug}")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    js = client.get("/static/presave.js")
    assert js.status_code == 200 and b"data-countdown" in js.data
    js.close()


def test_unknown_campaign_is_a_404_with_nothing_recorded(client: FlaskClient, db: Session) -> None:
    make_campaign(db)
    for path in ("/c/nobody-here", "/c/BAD_SLUG", "/c/" + "a" * 81):
        status, body = text_of(client, path)
        assert status == 404 and "We couldn't find that link" in body
    assert count(db, Event) == 0


def test_personal_link_records_the_click_and_lists_what_will_happen(
    client: FlaskClient, db: Session
) -> None:
    campaign = make_campaign(db, follow=False)
    link = fan_link(db, campaign)
    status, body = text_of(client, f"/p/{link.code}", **{"User-Agent": IPHONE})
    assert status == 200
    assert f"Pre-save {campaign.title} on Spotify" in html.unescape(body.replace("<cite>", ""))
    assert "user-library-modify" in body and "user-read-private" in body
    assert "user-follow-modify" not in body and "We follow" not in body
    assert "Open this in your browser" not in body
    event = db.scalar(select(Event).where(Event.kind == "link_click"))
    assert event is not None
    assert (event.fan_id, event.campaign_id, event.source) == (link.fan_id, campaign.id, "sms")
    visit = db.scalar(select(PageVisit).where(PageVisit.event_id == event.id))
    assert visit is not None and visit.device == "ios"


@pytest.mark.parametrize(
    ("device", "app_name"),
    [
        (Device.INAPP_INSTAGRAM, "Instagram"),
        (Device.INAPP_TIKTOK, "TikTok"),
        (Device.INAPP_FACEBOOK, "Facebook"),
    ],
)
def test_in_app_browsers_get_told_how_to_open_the_real_browser(
    client: FlaskClient, db: Session, device: Device, app_name: str
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    status, body = text_of(client, f"/p/{link.code}", **{"User-Agent": UAS[device]})
    assert status == 200
    assert "Open this in your browser first" in body
    assert f"inside {app_name}'s built-in browser" in body and "Open in browser" in body
    visit = db.scalar(select(PageVisit))
    assert visit is not None and visit.device == device.value


def test_unknown_and_malformed_codes_are_404_and_record_nothing(
    client: FlaskClient, db: Session
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    unknown = ("A" if link.code[0] != "A" else "B") + link.code[1:]
    for code in (unknown, "short", "x" * 23, "bad%20chars-bad-chars-ba", link.code + "x"):
        status, body = text_of(client, f"/p/{code}")
        assert status == 404, code
        assert "We couldn't find that link" in body
        assert client.get(f"/p/{code}/authorize").status_code == 404
    assert count(db, Event) == 0 and count(db, PageVisit) == 0


def test_sandbox_mode_explains_instead_of_authorizing(client: FlaskClient, db: Session) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    status, body = text_of(client, f"/p/{link.code}")
    assert status == 200 and "Spotify isn't connected to this service yet" in body
    assert client.get(f"/p/{link.code}/authorize").status_code == 503
    assert client.get(f"/c/{campaign.slug}/authorize").status_code == 503


def test_link_previews_and_head_requests_are_not_clicks(client: FlaskClient, db: Session) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    previewers = (
        "facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "WhatsApp/2.23.20.0 A",
    )
    for agent in previewers:
        assert client.get(f"/p/{link.code}", headers={"User-Agent": agent}).status_code == 200
        assert client.get(f"/c/{campaign.slug}", headers={"User-Agent": agent}).status_code == 200
    assert client.head(f"/p/{link.code}", headers={"User-Agent": IPHONE}).status_code == 200
    assert count(db, Event) == 0
    assert client.get(f"/p/{link.code}", headers={"User-Agent": IPHONE}).status_code == 200
    assert count(db, Event) == 1
