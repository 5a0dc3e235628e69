"""The Discord servers of a campaign in the artist app: allow or revoke a server (what
`presave discord allow|disallow` does), or dismiss a server's request to bind it, logged in
the team's audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Campaign, DiscordBinding
from core.services import audit, discord_bindings, discord_requests

FIELD = "guild_id"


@dataclass(frozen=True)
class Server:
    """One server of the campaign: allowed or not, set up there or not."""

    guild_id: str
    allowed_at: datetime | None
    channel_id: str | None
    role_error: str | None

    @property
    def allowed(self) -> bool:
        """Whether the artist's allowance stands."""
        return self.allowed_at is not None

    @property
    def state(self) -> str:
        """The server's state in words (never by colour alone)."""
        if not self.allowed:
            return "Revoked: no new fans there and no drop post"
        if self.channel_id is None:
            return "Allowed, not set up yet (an admin runs /presave-setup there)"
        if self.role_error:
            return f"Set up, but the role could not be given: {self.role_error}"
        return "Allowed and set up"


def servers(session: Session, campaign_id: int) -> list[Server]:
    """Servers allowed to bind the campaign and servers set up there before a revoke."""
    allowed = {a.guild_id: a for a in discord_bindings.allowances(session, campaign_id)}
    bound = {
        b.guild_id: b
        for b in session.scalars(
            select(DiscordBinding).where(DiscordBinding.campaign_id == campaign_id)
        )
    }
    found = []
    for guild in [*allowed, *(g for g in bound if g not in allowed)]:
        a, b = allowed.get(guild), bound.get(guild)
        found.append(
            Server(
                guild,
                a.allowed_at if a else None,
                b.channel_id if b else None,
                b.role_error if b else None,
            )
        )
    return found


def allow(session: Session, who: tuple[int, int], campaign: Campaign, guild_id: str | None) -> bool:
    """Let the server bind the campaign (`who` is (team_id, user_id)); False when it
    already could. ValidationError("guild_id") for a malformed server id."""
    guild = discord_bindings.guild_snowflake(guild_id, FIELD)
    created = discord_bindings.allow(session, campaign, guild)
    discord_requests.resolve(session, campaign.id, guild)
    if created:
        audit.record(session, who[0], who[1], "discord_allowed", campaign.id, f"server {guild}")
    return created


def revoke(
    session: Session, who: tuple[int, int], campaign: Campaign, guild_id: str | None
) -> bool:
    """Take the allowance back; False when there was none."""
    guild = discord_bindings.guild_snowflake(guild_id, FIELD)
    removed = discord_bindings.disallow(session, campaign, guild)
    if removed:
        audit.record(session, who[0], who[1], "discord_revoked", campaign.id, f"server {guild}")
    return removed


def dismiss(
    session: Session, who: tuple[int, int], campaign: Campaign, guild_id: str | None
) -> bool:
    """Dismiss the server's waiting request to bind the campaign (it stays dismissed if the
    server asks again); False when none was waiting."""
    guild = discord_bindings.guild_snowflake(guild_id, FIELD)
    dismissed = discord_requests.dismiss(session, campaign.id, guild)
    if dismissed:
        audit.record(
            session, who[0], who[1], "discord_request_dismissed", campaign.id, f"server {guild}"
        )
    return dismissed
