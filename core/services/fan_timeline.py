"""One fan's story in one campaign, for the artist: events, messages, pre-save milestones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core.models import (
    Consent,
    ConsentStatus,
    Delivery,
    Event,
    Fan,
    FanLink,
    GrantStatus,
    OutboundText,
    PreSave,
    ScheduledMessage,
    SpotifyGrant,
)
from core.services.fan_list import presave_state, resolve
from core.services.fans import display_name

EVENT_WORDS: dict[str, str] = {
    "optin": "Opted in",
    "duplicate_optin": "Opted in again (already in)",
    "optin_blocked": "Tried to opt in after a STOP: not added",
    "stop": "Stopped messages",
    "carrier_opt_out": "The carrier reports the number opted out",
    "spotify_authorized": "Authorized Spotify",
    "spotify_quota": "Could not connect: Spotify app at its user cap",
    "disconnect": "Disconnected Spotify",
    "page_view": "Viewed the campaign page",
    "link_click": "Opened their personal link",
    "web_optin_requested": "Asked for texts on the campaign page",
    "web_optin_repeat": "Asked for texts again on the campaign page",
    "web_optin_confirmed": "Confirmed by replying YES",
    "discord_role": "Given the pre-saver role on Discord",
    "release_detected": "Release found live",
}


@dataclass(frozen=True)
class TimelineItem:
    """One thing that happened to or for the fan."""

    at: datetime
    kind: str  # event:<kind>, message:<kind>, text, presave:<milestone>, consent, joined
    channel: str | None
    description: str


@dataclass(frozen=True)
class FanTimeline:
    """The fan as the list shows them, then what happened, oldest first."""

    fan_id: int
    display: str
    channels: tuple[str, ...]
    status: str
    items: tuple[TimelineItem, ...]


def _event_items(session: Session, campaign_id: int, fan_id: int) -> list[TimelineItem]:
    rows = session.execute(
        select(Event.at, Event.kind, Event.channel, Event.source).where(
            Event.fan_id == fan_id,
            or_(Event.campaign_id == campaign_id, Event.campaign_id.is_(None)),
        )
    )
    items = []
    for at, kind, channel, source in rows:
        words = EVENT_WORDS.get(kind, kind.replace("_", " ").capitalize())
        if source and kind in ("optin", "spotify_authorized", "link_click"):
            words = f"{words} (source: {source})"
        items.append(TimelineItem(at, f"event:{kind}", channel, words))
    return items


def _message_items(session: Session, campaign_id: int, fan_id: int) -> list[TimelineItem]:
    rows = session.execute(
        select(
            Delivery.created_at,
            Delivery.sent_at,
            Delivery.status,
            Delivery.channel,
            Delivery.error_code,
            ScheduledMessage.kind,
        )
        .join(ScheduledMessage, ScheduledMessage.id == Delivery.message_id)
        .where(Delivery.fan_id == fan_id, ScheduledMessage.campaign_id == campaign_id)
    )
    items = []
    for created, sent, status, channel, code, kind in rows:
        detail = f"{kind.capitalize()} message: {status}" + (f" (error {code})" if code else "")
        items.append(TimelineItem(sent or created, f"message:{kind}", channel, detail))
    texts = session.execute(
        select(OutboundText.created_at, OutboundText.sent_at, OutboundText.status).where(
            OutboundText.fan_id == fan_id,
            or_(OutboundText.campaign_id == campaign_id, OutboundText.campaign_id.is_(None)),
        )
    )
    for created, sent, status in texts:
        items.append(TimelineItem(sent or created, "text", "sms", f"Reply text: {status}"))
    return items


def _presave_items(presave: PreSave | None) -> list[TimelineItem]:
    if presave is None:
        return []
    items = [TimelineItem(presave.created_at, "presave:created", None, "Pre-save recorded")]
    if presave.followed_at:
        items.append(TimelineItem(presave.followed_at, "presave:followed", None, "Followed"))
    if presave.saved_at:
        items.append(TimelineItem(presave.saved_at, "presave:saved", None, "Saved to library"))
    elif presave.status not in ("pending", "saved"):
        reason = f": {presave.last_error}" if presave.last_error else ""
        words = f"Pre-save {presave.status.replace('_', ' ')}{reason}"
        items.append(TimelineItem(presave.updated_at, f"presave:{presave.status}", None, words))
    return items


def timeline(session: Session, campaign_id: int, fan_id: int) -> FanTimeline | None:
    """The fan's header and story in the campaign; None when the fan is not in it."""
    head = session.execute(
        select(FanLink, Fan.phone_e164, Fan.discord_user_id, presave_state())
        .join(Fan, Fan.id == FanLink.fan_id)
        .outerjoin(
            PreSave, and_(PreSave.campaign_id == campaign_id, PreSave.fan_id == FanLink.fan_id)
        )
        .outerjoin(SpotifyGrant, SpotifyGrant.fan_id == FanLink.fan_id)
        .where(FanLink.campaign_id == campaign_id, FanLink.fan_id == fan_id)
    ).first()
    if head is None:
        return None
    link, phone, discord_id, state = head
    consents = session.execute(
        select(Consent.channel, Consent.status, Consent.at, Consent.source)
        .where(Consent.campaign_id == campaign_id, Consent.fan_id == fan_id)
        .order_by(Consent.channel)
    ).all()
    presave = session.scalar(
        select(PreSave).where(PreSave.campaign_id == campaign_id, PreSave.fan_id == fan_id)
    )
    grant = session.scalar(select(SpotifyGrant).where(SpotifyGrant.fan_id == fan_id))
    items = [TimelineItem(link.created_at, "joined", None, f"Joined (source: {link.source})")]
    items += [
        TimelineItem(at, "consent", channel, f"Consent now {state.replace('_', ' ')}")
        for channel, state, at, _ in consents
    ]
    items += _event_items(session, campaign_id, fan_id)
    items += _message_items(session, campaign_id, fan_id)
    items += _presave_items(presave)
    if grant is not None and grant.status != GrantStatus.ACTIVE:
        words = f"Spotify authorization {grant.status.replace('_', ' ')}"
        items.append(TimelineItem(grant.updated_at, "grant", None, words))
    items.sort(key=lambda item: (item.at, item.kind != "joined", item.kind))
    return FanTimeline(
        fan_id=fan_id,
        display=display_name(phone, discord_id),
        channels=tuple(str(c.channel) for c in consents),
        status=resolve(state, any(c.status == ConsentStatus.OPTED_IN for c in consents)),
        items=tuple(items),
    )
