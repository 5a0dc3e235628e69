"""The sandbox console's clock: pick a campaign, make its release live now in one market
(in the sandbox's catalogue, then detected as `presave release check` does), or move the
next waiting countdown to now. Sandbox mode only: the caller checks that."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import transaction
from core.markets import ANY, market_code
from core.models import Campaign, CampaignStatus, MessageStatus, ScheduledMessage
from core.providers import ProviderError
from core.providers.spotify import app_from_settings
from core.sandbox_address import SandboxNotRunning, sandbox_base
from core.sandbox_admin import SandboxAdminError, post
from core.services import (
    audit,
    broadcast,
    campaigns,
    demo_seed,
    release_watch,
    sandbox_clock_log,
)
from core.settings import Settings
from core.validation import ValidationError

# Offered besides the markets of the campaign's fans: the first and a few big ones.
MARKETS = ("NZ", "AU", "JP", "DE", "GB", "BR", "US")


@dataclass(frozen=True)
class Choice:
    """A campaign the clock can act on."""

    id: int
    label: str


@dataclass(frozen=True)
class MadeLive:
    """What "make the release live now" did: the market, and the markets newly detected
    (the drop starts for those)."""

    campaign_id: int
    market: str
    new_markets: tuple[str, ...]


@dataclass(frozen=True)
class Shown:
    """The chosen campaign, as plain values (the page renders after the session closed)."""

    id: int
    title: str
    artist: str
    release_at: datetime
    detected_at: datetime | None


@dataclass(frozen=True)
class NextMessage:
    """The countdown that goes out next."""

    template: str
    channels: str
    send_at: datetime


@dataclass(frozen=True)
class ClockView:
    """What the clock page shows for the chosen campaign (None: there is no open one)."""

    campaign: Shown | None
    choices: list[Choice]
    markets: list[str]
    next_message: NextMessage | None
    log: dict[str, Any]


def overview(session: Session, raw_campaign: str | None, now: datetime) -> ClockView:
    """The clock page's content; ValidationError("campaign") for a bad choice."""
    campaign = chosen(session, raw_campaign)
    if campaign is None:
        return ClockView(None, [], [], None, {"status": None, "entries": []})
    shown = Shown(
        campaign.id, campaign.title, campaign.artist.name, campaign.release_at,
        campaign.detected_at,
    )  # fmt: skip
    message = next_waiting(session, campaign.id, now)
    waiting = (
        NextMessage(message.template, _channel_words(message.channels), message.send_at)
        if message
        else None
    )
    return ClockView(
        shown, choices(session), markets(session, campaign), waiting,
        sandbox_clock_log.log(session, campaign),
    )  # fmt: skip


def _channel_words(channels: str) -> str:
    """ "sms,discord" as a person says it: "text and Discord"."""
    words = {"sms": "text", "discord": "Discord"}
    return " and ".join(words.get(c, c) for c in channels.split(",") if c)


def choices(session: Session) -> list[Choice]:
    """Open campaigns, soonest release first."""
    return [
        Choice(c.id, f"{c.title} by {c.artist.name} ({c.keyword})")
        for c in campaigns.list_campaigns(session)
        if c.status == CampaignStatus.OPEN
    ]


def chosen(session: Session, raw: str | None) -> Campaign | None:
    """The campaign a `campaign` field names (an open campaign's id); when empty, the demo
    campaign, else the first open one (None when there is none)."""
    if raw is None or not raw.strip():
        found = demo_seed.find(session)
        if found is not None and found.status == CampaignStatus.OPEN:
            return found
        first = choices(session)
        return campaigns.by_id(session, first[0].id) if first else None
    text = raw.strip()
    if not text.isdigit() or len(text) > 18:
        raise ValidationError("campaign", f"{raw!r} is not a campaign id")
    campaign = session.get(Campaign, int(text))
    if campaign is None or campaign.status != CampaignStatus.OPEN:
        raise ValidationError("campaign", f"no open campaign {text}")
    return campaign


def markets(session: Session, campaign: Campaign) -> list[str]:
    """Markets to offer: the campaign's fans' (known countries) and MARKETS."""
    fans = release_watch.fan_markets(session, campaign.id) - {ANY}
    return sorted(fans | set(MARKETS))


def next_waiting(session: Session, campaign_id: int, now: datetime) -> ScheduledMessage | None:
    """The countdown message that goes out next (one already due is going out); none once
    the release was found live (a countdown is no longer true then)."""
    return session.scalar(
        select(ScheduledMessage)
        .join(Campaign, Campaign.id == ScheduledMessage.campaign_id)
        .where(
            ScheduledMessage.campaign_id == campaign_id,
            Campaign.detected_at.is_(None),
            ScheduledMessage.kind == broadcast.COUNTDOWN,
            ScheduledMessage.status == MessageStatus.SCHEDULED,
            ScheduledMessage.send_at > now,
        )
        .order_by(ScheduledMessage.send_at, ScheduledMessage.id)
        .limit(1)
    )


def send_next_now(session: Session, campaign: Campaign, now: datetime) -> ScheduledMessage:
    """Move the next waiting countdown to `now` (the caller queues it) and log it in the
    team's audit log; ValidationError("message") when none is waiting."""
    message = next_waiting(session, campaign.id, now)
    if message is None and campaign.detected_at is not None:
        raise ValidationError("message", f"{campaign.title} is out: countdowns no longer go")
    if message is None:
        raise ValidationError("message", f"{campaign.title} has no countdown message waiting")
    was = message.send_at
    message.send_at = now
    team_id = campaign.artist.team_id
    if team_id is not None:
        detail = f"message {message.id} ({message.template}) moved from {was:%Y-%m-%d %H:%M} UTC"
        audit.record(session, team_id, None, "rescheduled", campaign.id, detail + " to now")
    session.flush()
    return message


@dataclass(frozen=True)
class Moved:
    """A countdown moved to now, and the job id the countdown tick would queue it under."""

    campaign_id: int
    message_id: int
    template: str

    @property
    def job_id(self) -> str:
        return f"plan-{self.message_id}"


def send_next(session: Session, raw_campaign: str | None, now: datetime) -> Moved:
    """send_next_now for the campaign a form names (ValidationError("campaign") if none)."""
    campaign = chosen(session, raw_campaign)
    if campaign is None:
        raise ValidationError("campaign", "there is no open campaign")
    message = send_next_now(session, campaign, now)
    return Moved(campaign.id, message.id, message.template)


def checked_market(raw: str | None) -> str:
    """A market code the form sent; ValidationError("market") otherwise."""
    return market_code(raw, "market")


def _album_of(campaign: Campaign) -> str:
    album = campaign.spotify_album_id or campaign.release_album_id
    if album is None:
        raise ValidationError("campaign", "it has no Spotify album id: the clock needs one")
    return album


def make_live(settings: Settings, raw_campaign: str | None, raw_market: str | None,
              now: datetime) -> MadeLive:  # fmt: skip
    """Make the album live now in one market of the sandbox's catalogue, look it up there
    and record what is found, as `presave release check --market` does. ValidationError
    names the field refused (campaign, market); nothing is changed then."""
    market = market_code(raw_market, "market")
    with transaction(settings.database_url) as session:
        campaign = chosen(session, raw_campaign)
        if campaign is None:
            raise ValidationError("campaign", "there is no open campaign")
        campaign_id, album = campaign.id, _album_of(campaign)
        target = release_watch.Target(campaign_id, "album_id", album)
    app = app_from_settings(settings)
    if app is None:
        raise ValidationError("campaign", "no Spotify stand-in is configured to look it up")
    try:
        post(sandbox_base(settings), f"albums/{album}/live", {"market": market})
        found = release_watch.lookup(app, target, market)
    except (SandboxAdminError, SandboxNotRunning, ProviderError) as exc:
        raise ValidationError("campaign", f"the sandbox could not make it live: {exc}") from None
    with transaction(settings.database_url) as session:
        campaign = campaigns.by_id(session, campaign_id)
        outcome = release_watch.apply(session, campaign, [found], now)
    return MadeLive(campaign_id, market, outcome.new_markets)
