"""Where fans come from: the source of a visit, the device class, and the visit events."""

from __future__ import annotations

import re
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Campaign, Consent, FanLink, PageVisit
from core.services import events

SOURCE_MAX = 32
DEFAULT_SOURCE = "web"
TAG_MAX = 32
_NOT_SOURCE = re.compile(r"[^a-z0-9_-]+")


class Device(StrEnum):
    """A user-agent class, coarse enough to be useful and safe to keep."""

    IOS = "ios"
    ANDROID = "android"
    DESKTOP = "desktop"
    INAPP_INSTAGRAM = "inapp-instagram"
    INAPP_TIKTOK = "inapp-tiktok"
    INAPP_FACEBOOK = "inapp-facebook"
    OTHER = "other"


IN_APP = frozenset({Device.INAPP_INSTAGRAM, Device.INAPP_TIKTOK, Device.INAPP_FACEBOOK})
IN_APP_NAMES = {
    Device.INAPP_INSTAGRAM: "Instagram",
    Device.INAPP_TIKTOK: "TikTok",
    Device.INAPP_FACEBOOK: "Facebook",
}


# Link-preview fetchers (messengers unfurling a link) and crawlers: a visit, not a fan.
PREVIEW_AGENTS = (
    "facebookexternalhit",
    "Facebot",
    "Twitterbot",
    "Discordbot",
    "Slackbot",
    "WhatsApp/",
    "TelegramBot",
    "LinkedInBot",
    "SkypeUriPreview",
    "Googlebot",
    "bingbot",
    "Applebot",
    "redditbot",
    "Embedly",
)


def clean_tag(raw: str | None, max_len: int = SOURCE_MAX) -> str | None:
    """Lower-case [a-z0-9_-] only (other runs become '-'), at most `max_len`; None if empty."""
    if not raw:
        return None
    cleaned = _NOT_SOURCE.sub("-", raw.strip().lower()[: max_len * 4]).strip("-")
    return cleaned[:max_len].strip("-") or None


def source_of(ref: str | None, utm_source: str | None, src: str | None = None) -> str:
    """The traffic source: `src`, else `ref`, else `utm_source`, else "web"."""
    return clean_tag(src) or clean_tag(ref) or clean_tag(utm_source) or DEFAULT_SOURCE


def device_of(user_agent: str | None) -> Device:
    """Classify a User-Agent header: in-app browsers first, then platform."""
    ua = user_agent or ""
    if "Instagram" in ua:
        return Device.INAPP_INSTAGRAM
    if any(mark in ua for mark in ("musical_ly", "TikTok", "BytedanceWebview")):
        return Device.INAPP_TIKTOK
    if any(mark in ua for mark in ("FBAN/", "FBAV/", "FB_IAB")):
        return Device.INAPP_FACEBOOK
    if any(mark in ua for mark in ("iPhone", "iPad", "iPod")):
        return Device.IOS
    if "Android" in ua:
        return Device.ANDROID
    if any(mark in ua for mark in ("Windows NT", "Macintosh", "X11", "CrOS")):
        return Device.DESKTOP
    return Device.OTHER


def counts_as_visit(user_agent: str | None, method: str) -> bool:
    """A person opening the page: not a HEAD request nor a link-preview fetcher."""
    ua = user_agent or ""
    return method.upper() == "GET" and not any(agent in ua for agent in PREVIEW_AGENTS)


def fan_channel(session: Session, fan_id: int, campaign_id: int) -> str | None:
    """The channel the fan joined the campaign on (their first consent to it), if any."""
    return session.scalar(
        select(Consent.channel)
        .where(Consent.fan_id == fan_id, Consent.campaign_id == campaign_id)
        .order_by(Consent.at, Consent.id)
        .limit(1)
    )


def record_link_click(session: Session, link: FanLink, device: Device) -> None:
    """A fan opened their personal link: a `link_click` event with source, device, and the
    fan's channel (so opens count by channel)."""
    event_id = events.record(
        session,
        "link_click",
        campaign_id=link.campaign_id,
        fan_id=link.fan_id,
        channel=fan_channel(session, link.fan_id, link.campaign_id),
        source=link.source,
    )
    session.add(PageVisit(event_id=event_id, device=device))


def record_page_view(
    session: Session,
    campaign: Campaign,
    source: str,
    device: Device,
    utm_medium: str | None = None,
    utm_campaign: str | None = None,
) -> None:
    """Someone opened the public campaign page: a `page_view` event with its tags."""
    event_id = events.record(session, "page_view", campaign_id=campaign.id, source=source)
    session.add(
        PageVisit(
            event_id=event_id,
            device=device,
            utm_medium=clean_tag(utm_medium, TAG_MAX),
            utm_campaign=clean_tag(utm_campaign, TAG_MAX),
        )
    )
