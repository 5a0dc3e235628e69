"""The release link in drop messages: `/r/<code>`, a redirect we own.

`code` is the fan's personal link code (the one behind `/p/<code>`), so the click is the
fan's without a new table; `?via=sms|discord` says which message it came from. Opening it
records a `release_click` (fan, campaign, channel, source, country) and answers with the
release on Spotify. Link-preview fetchers and HEAD requests are sent on without counting.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Campaign, Fan
from core.services import events, links

CHANNELS = ("sms", "discord")


def release_link(public_url: str, code: str, channel: str) -> str:
    """The link a drop message carries for this fan on this channel."""
    via = f"?via={channel}" if channel in CHANNELS else ""
    return f"{public_url}/r/{code}{via}"


def channel_of(via: str | None) -> str | None:
    """The channel a click came from, from `?via=` (anything else: unknown)."""
    return via if via in CHANNELS else None


def open_release(
    session: Session, public_url: str, code: str, via: str | None, *, record: bool
) -> str | None:
    """Where `/r/<code>` goes: the release on Spotify (the fan's link page while no album is
    known yet); the click recorded when `record`. None (nothing recorded): unknown code."""
    link = links.find(session, code)
    if link is None:
        return None
    row = session.execute(
        select(Campaign.release_album_id, Campaign.spotify_album_id, Fan.country, Fan.region)
        .join(Fan, Fan.id == link.fan_id)
        .where(Campaign.id == link.campaign_id)
    ).one()
    if record:
        events.record(
            session,
            events.RELEASE_CLICKED,
            campaign_id=link.campaign_id,
            fan_id=link.fan_id,
            channel=channel_of(via),
            source=link.source,
            country=row.country,
            region=row.region,
        )
    album = row.release_album_id or row.spotify_album_id
    return links.album_link(album) if album else links.link_url(public_url, code)
