"""Discord fans: /presave opts a member in (consent, personal link, role noted), /stopalerts
ends their Discord consent. The same rules for the gateway bot and the HTTP endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import update

from core.db import Db
from core.models import Fan
from core.services import (
    consent,
    discord_bindings,
    discord_roles,
    events,
    fans,
    optin,
    traffic,
)
from core.services.consent import OptInResult
from core.services.discord_bindings import Bound
from core.services.fans import Place

CHANNEL = "discord"
# One bot per deployment: a /stopalerts ends every Discord message, whatever the server.
SENDER = "discord"
SOURCE = "discord"


class JoinStatus(StrEnum):
    """How a /presave ended."""

    JOINED = "joined"
    AGAIN = "again"  # already in: the same link
    NOTHING_HERE = "nothing_here"  # no open campaign is bound to this server
    CHOOSE = "choose"  # several are, and none was named
    UNKNOWN = "unknown"  # the campaign named is not bound here (or closed)


@dataclass(frozen=True)
class Joined:
    """What /presave did: the fan's link, and a role grant to queue now when one is due."""

    status: JoinStatus
    campaign: Bound | None = None
    link: str | None = None
    options: tuple[Bound, ...] = ()
    role_grant_id: int | None = None
    rejoined: bool = False  # the member had run /stopalerts before


def guild_source(guild_id: str) -> str:
    """A /presave's source: the server it was typed in (`discord-<guild id>`), sanitized;
    plain "discord" when the id is not one."""
    digits = guild_id.strip()
    if not digits.isdigit() or not digits.isascii():
        return SOURCE
    return traffic.clean_tag(f"{SOURCE}-{digits}") or SOURCE


def _pick(campaigns: list[Bound], slug: str | None) -> Bound | JoinStatus:
    if slug:
        return next((c for c in campaigns if c.slug == slug.strip()), JoinStatus.UNKNOWN)
    if not campaigns:
        return JoinStatus.NOTHING_HERE
    return campaigns[0] if len(campaigns) == 1 else JoinStatus.CHOOSE


def fan_of(session: Db, user_id: str) -> int:
    """The fan behind a Discord user id (created if new); running a command counts as
    reaching us again, so a DM refusal noted earlier is forgotten."""
    fan_id, created = fans.fan_id_for(session, "discord_user_id", user_id, Place())
    if not created:
        session.execute(update(Fan).where(Fan.id == fan_id).values(discord_dms_closed_at=None))
    return fan_id


def join(session: Db, public_url: str, user_id: str, guild_id: str, slug: str | None) -> Joined:
    """Opt the member in to a campaign bound to this server and return their link.

    Typing /presave is an explicit opt-in, so it also lifts an earlier /stopalerts (for
    this campaign only: the others stay stopped until joined again).
    """
    campaigns = discord_bindings.bound_in(session, guild_id)
    picked = _pick(campaigns, slug)
    if isinstance(picked, JoinStatus):
        return Joined(picked, options=tuple(campaigns))
    fan_id = fan_of(session, user_id)
    rejoined = consent.lift_opt_out(session, fan_id, CHANNEL, SENDER)
    outcome = optin.opt_in(
        session,
        public_url=public_url,
        fan_id=fan_id,
        campaign_id=picked.campaign_id,
        channel=CHANNEL,
        sender=SENDER,
        source=guild_source(guild_id),
        place=Place(),
    )
    assert outcome.link is not None, "no opt-out is left to block a Discord opt-in"
    grant = discord_roles.note_join(session, picked.binding_id, picked.campaign_id, fan_id)
    status = JoinStatus.AGAIN if outcome.result is OptInResult.DUPLICATE else JoinStatus.JOINED
    return Joined(status, picked, outcome.link, role_grant_id=grant, rejoined=rejoined)


def stop_alerts(session: Db, user_id: str) -> int:
    """End the member's Discord consent for every campaign; returns the messages cancelled."""
    fan_id = fan_of(session, user_id)
    affected = optin.active_campaigns_of_sender(session, fan_id, CHANNEL, SENDER)
    cancelled = consent.opt_out(session, fan_id, CHANNEL, SENDER, reason="stopalerts")
    for campaign_id in affected or [None]:  # type: ignore[list-item]
        events.record(
            session, "stop", campaign_id=campaign_id, fan_id=fan_id, channel=CHANNEL, source=SOURCE
        )
    return cancelled
