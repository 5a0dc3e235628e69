"""The release link in drop messages: `/r/<code>`, a redirect we own.

`code` is the fan's personal link code (the one behind `/p/<code>`), so the click is the
fan's without a new table; `?via=sms|discord` says which message it came from. Opening it
records a `release_click` (fan, campaign, channel, source, country) and answers with the
release on Spotify. Link-preview fetchers and HEAD requests are sent on without counting.

A post in a Discord server's channel has no single fan: its link is `/r/c/<slug>?via=
discord`, the campaign's release. A click on it is a `release_click` of the campaign with
no fan (source "announcement"): counted among the campaign's events (export, API), not in
the funnel, whose steps are fans.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Campaign, Fan
from core.services import events, links

CHANNELS = ("sms", "discord")
ANNOUNCEMENT = "announcement"  # the source of a click on a channel post's link


def release_link(public_url: str, code: str, channel: str) -> str:
    """The link a drop message carries for this fan on this channel."""
    via = f"?via={channel}" if channel in CHANNELS else ""
    return f"{public_url}/r/{code}{via}"


def announcement_link(public_url: str, slug: str) -> str:
    """The link a Discord channel post carries: the campaign's release, counted."""
    return f"{public_url}/r/c/{slug}?via=discord"


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


def open_announced_release(
    session: Session, public_url: str, slug: str, via: str | None, *, record: bool
) -> str | None:
    """Where `/r/c/<slug>` goes: the release on Spotify (the campaign page while no album is
    known yet); a fanless click recorded when `record`. None (nothing recorded): no such
    campaign."""
    row = session.execute(
        select(Campaign.id, Campaign.release_album_id, Campaign.spotify_album_id).where(
            Campaign.slug == slug
        )
    ).one_or_none()
    if row is None:
        return None
    if record:
        events.record(session, events.RELEASE_CLICKED, campaign_id=row.id,
                      channel=channel_of(via), source=ANNOUNCEMENT)  # fmt: skip
    album = row.release_album_id or row.spotify_album_id
    return links.album_link(album) if album else f"{public_url}/c/{slug}"
