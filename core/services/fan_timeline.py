"""One fan's story in one campaign, for the artist: events, messages, pre-save milestones,
newest first, in keyset pages of 50 (core.services.timeline_window): a fan with thousands
of events costs one page's reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
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
from core.services.timeline_window import PAGE_SIZE, Key, Window, cut
from core.services.timeline_window import window as window_of

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


# The order of items at the same instant, and what tells their sources apart in a cursor.
RANK = {
    "joined": 0, "consent": 1, "event": 2, "message": 3, "text": 4,
    "presave:created": 5, "presave:followed": 6, "presave:done": 7, "grant": 8,
}  # fmt: skip
Keyed = list[tuple[Key, "TimelineItem"]]


@dataclass(frozen=True)
class TimelineItem:
    """One thing that happened to or for the fan."""

    at: datetime
    kind: str  # event:<kind>, message:<kind>, text, presave:<milestone>, consent, joined
    channel: str | None
    description: str


@dataclass(frozen=True)
class FanTimeline:
    """The fan as the list shows them, then one page of what happened, newest first, with
    the cursors of the older and newer pages (None: there is none)."""

    fan_id: int
    display: str
    channels: tuple[str, ...]
    status: str
    items: tuple[TimelineItem, ...]
    older: str | None = None
    newer: str | None = None


def _event_items(session: Session, campaign_id: int, fan_id: int, window: Window) -> Keyed:
    query = select(Event.id, Event.at, Event.kind, Event.channel, Event.source).where(
        Event.fan_id == fan_id,
        or_(Event.campaign_id == campaign_id, Event.campaign_id.is_(None)),
    )
    items = []
    for row_id, at, kind, channel, source in session.execute(
        window.rows(query, Event.at, RANK["event"], Event.id)
    ):
        words = EVENT_WORDS.get(kind, kind.replace("_", " ").capitalize())
        if source and kind in ("optin", "spotify_authorized", "link_click"):
            words = f"{words} (source: {source})"
        item = TimelineItem(at, f"event:{kind}", channel, words)
        items.append(((at, RANK["event"], row_id), item))
    return items


def _message_items(session: Session, campaign_id: int, fan_id: int, window: Window) -> Keyed:
    sent_at: Any = func.coalesce(Delivery.sent_at, Delivery.created_at, type_=Delivery.sent_at.type)
    query = (
        select(Delivery.id, sent_at, Delivery.status, Delivery.channel, Delivery.error_code,
               ScheduledMessage.kind)
        .join(ScheduledMessage, ScheduledMessage.id == Delivery.message_id)
        .where(Delivery.fan_id == fan_id, ScheduledMessage.campaign_id == campaign_id)
    )  # fmt: skip
    items = []
    for row_id, at, status, channel, code, kind in session.execute(
        window.rows(query, sent_at, RANK["message"], Delivery.id)
    ):
        detail = f"{kind.capitalize()} message: {status}" + (f" (error {code})" if code else "")
        items.append(
            ((at, RANK["message"], row_id), TimelineItem(at, f"message:{kind}", channel, detail))
        )
    text_at: Any = func.coalesce(
        OutboundText.sent_at, OutboundText.created_at, type_=OutboundText.sent_at.type
    )
    texts = select(OutboundText.id, text_at, OutboundText.status).where(
        OutboundText.fan_id == fan_id,
        or_(OutboundText.campaign_id == campaign_id, OutboundText.campaign_id.is_(None)),
    )
    for row_id, at, status in session.execute(
        window.rows(texts, text_at, RANK["text"], OutboundText.id)
    ):
        items.append(
            ((at, RANK["text"], row_id), TimelineItem(at, "text", "sms", f"Reply text: {status}"))
        )
    return items


def _presave_items(presave: PreSave | None) -> Keyed:
    if presave is None:
        return []
    made = TimelineItem(presave.created_at, "presave:created", None, "Pre-save recorded")
    items = [((presave.created_at, RANK["presave:created"], presave.id), made)]
    if presave.followed_at:
        followed = TimelineItem(presave.followed_at, "presave:followed", None, "Followed")
        items.append(((presave.followed_at, RANK["presave:followed"], presave.id), followed))
    if presave.saved_at:
        saved = TimelineItem(presave.saved_at, "presave:saved", None, "Saved to library")
        items.append(((presave.saved_at, RANK["presave:done"], presave.id), saved))
    elif presave.status not in ("pending", "saved"):
        reason = f": {presave.last_error}" if presave.last_error else ""
        words = f"Pre-save {presave.status.replace('_', ' ')}{reason}"
        done = TimelineItem(presave.updated_at, f"presave:{presave.status}", None, words)
        items.append(((presave.updated_at, RANK["presave:done"], presave.id), done))
    return items


def timeline(
    session: Session,
    campaign_id: int,
    fan_id: int,
    *,
    before: str | None = None,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> FanTimeline | None:
    """The fan's header and one page of their story in the campaign, newest first: the
    newest page, the one before the cursor `before` (older) or after `after` (newer).
    None when the fan is not in the campaign; ValidationError naming a bad cursor."""
    window = window_of(before, after, limit)
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
        select(Consent.id, Consent.channel, Consent.status, Consent.at)
        .where(Consent.campaign_id == campaign_id, Consent.fan_id == fan_id)
        .order_by(Consent.channel)
    ).all()
    presave = session.scalar(
        select(PreSave).where(PreSave.campaign_id == campaign_id, PreSave.fan_id == fan_id)
    )
    grant = session.scalar(select(SpotifyGrant).where(SpotifyGrant.fan_id == fan_id))
    joined = TimelineItem(link.created_at, "joined", None, f"Joined (source: {link.source})")
    items: Keyed = [((link.created_at, RANK["joined"], link.id), joined)]
    items += [
        ((at, RANK["consent"], row_id),
         TimelineItem(at, "consent", channel, f"Consent now {status.replace('_', ' ')}"))
        for row_id, channel, status, at in consents
    ]  # fmt: skip
    items += _event_items(session, campaign_id, fan_id, window)
    items += _message_items(session, campaign_id, fan_id, window)
    items += _presave_items(presave)
    if grant is not None and grant.status != GrantStatus.ACTIVE:
        words = f"Spotify authorization {grant.status.replace('_', ' ')}"
        item = TimelineItem(grant.updated_at, "grant", None, words)
        items.append(((grant.updated_at, RANK["grant"], grant.id), item))
    page = cut(window, items)
    return FanTimeline(
        fan_id=fan_id,
        display=display_name(phone, discord_id),
        channels=tuple(str(c.channel) for c in consents),
        status=resolve(state, any(c.status == ConsentStatus.OPTED_IN for c in consents)),
        items=page.items,
        older=page.older,
        newer=page.newer,
    )
