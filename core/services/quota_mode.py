"""Spotify quota mode: in development mode only the app's allow-listed fans are saved for.

Spotify lets a development-mode app act for at most 5 users, added by hand in its
dashboard; anyone else is refused after authorizing. So the product runs alert-first there:
a fan not on our copy of that list (SPOTIFY_ALLOWED_USERS, their phone number or Discord
user id) is never sent to Spotify; they still opt in and get the drop message with a
one-tap link to the release.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.env_values import DEVELOPMENT_MODE_USERS
from core.models import Consent, ConsentStatus, Fan, FanLink
from core.settings import Settings

DEVELOPMENT = "development"
EXTENDED_NEEDS = (
    "Extended quota (no user cap) is granted by Spotify to registered businesses with at "
    "least 250,000 monthly active users; most artists use their label's or distributor's "
    "extended-quota app (set SPOTIFY_CLIENT_ID and SPOTIFY_QUOTA_MODE=extended)."
)


def alert_first(settings: Settings) -> bool:
    """Whether Spotify saves are limited to the allow-listed fans."""
    return settings.spotify_quota_mode == DEVELOPMENT


def can_auto_save(settings: Settings, fan: Fan | None) -> bool:
    """Whether this fan may be sent to Spotify to authorize (None: an unknown visitor)."""
    if not alert_first(settings):
        return True
    if fan is None:
        return False
    allowed = set(settings.spotify_allowed_users)
    return fan.phone_e164 in allowed or fan.discord_user_id in allowed


def link_can_auto_save(session: Session, settings: Settings, code: str) -> bool:
    """can_auto_save for the fan behind a personal link (an unknown link: True, the
    authorization step answers it as it does today)."""
    if not alert_first(settings):
        return True
    fan = session.scalar(
        select(Fan).join(FanLink, FanLink.fan_id == Fan.id).where(FanLink.code == code)
    )
    if fan is None:
        return session.scalar(select(FanLink.id).where(FanLink.code == code)) is None
    return can_auto_save(settings, fan)


@dataclass(frozen=True)
class AutoSave:
    """What the artist is told: how many fans can be auto-saved, and why."""

    mode: str
    alert_first: bool
    allow_listed: int  # fans set in SPOTIFY_ALLOWED_USERS
    cap: int
    fans: int | None  # the campaign's opted-in fans (None on the new-campaign form)
    auto_saved: int | None  # of them, those who can be saved automatically
    why: str
    extended_needs: str


def _why(settings: Settings) -> str:
    if not alert_first(settings):
        return "The Spotify app has extended quota: every fan who connects is saved."
    listed = len(settings.spotify_allowed_users)
    return (
        f"The Spotify app is in development mode: Spotify lets it act for at most "
        f"{DEVELOPMENT_MODE_USERS} users added in its dashboard ({listed} set in "
        f"SPOTIFY_ALLOWED_USERS). Every other fan still opts in and gets the drop message "
        f"with a one-tap link to the release instead of an automatic save."
    )


def for_new_campaign(settings: Settings) -> AutoSave:
    """The notice on the new-campaign form (no fans yet)."""
    return AutoSave(
        mode=settings.spotify_quota_mode, alert_first=alert_first(settings),
        allow_listed=len(settings.spotify_allowed_users), cap=DEVELOPMENT_MODE_USERS,
        fans=None, auto_saved=None, why=_why(settings), extended_needs=EXTENDED_NEEDS,
    )  # fmt: skip


def for_campaign(session: Session, settings: Settings, campaign_id: int) -> AutoSave:
    """The notice on a campaign's page: its opted-in fans and how many can be auto-saved."""
    opted_in = select(Consent.fan_id).where(
        Consent.campaign_id == campaign_id, Consent.status == ConsentStatus.OPTED_IN
    )
    fans = set(session.scalars(opted_in))
    if alert_first(settings):
        allowed = list(settings.spotify_allowed_users)
        listed = select(Fan.id).where(
            Fan.id.in_(opted_in),
            or_(Fan.phone_e164.in_(allowed), Fan.discord_user_id.in_(allowed)),
        )
        auto = len(set(session.scalars(listed)))
    else:
        auto = len(fans)
    return AutoSave(
        mode=settings.spotify_quota_mode, alert_first=alert_first(settings),
        allow_listed=len(settings.spotify_allowed_users), cap=DEVELOPMENT_MODE_USERS,
        fans=len(fans), auto_saved=auto, why=_why(settings), extended_needs=EXTENDED_NEEDS,
    )  # fmt: skip
