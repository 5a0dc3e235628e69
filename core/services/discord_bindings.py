"""Campaigns bound to Discord servers by /presave-setup, and the choices commands offer.

A server may bind a campaign only with the artist's consent: an allowance for that
(campaign, server), given with `presave discord allow SLUG GUILD_ID`. A binding counts
(fans can join there, the drop is announced there) only while its allowance stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, select
from sqlalchemy.orm import Session

from core.db import Db
from core.models import (
    Artist,
    Campaign,
    CampaignStatus,
    DiscordAllowance,
    DiscordAnnouncement,
    DiscordBinding,
    DiscordRoleGrant,
    RoleGrantStatus,
)
from core.services import events
from core.timeutil import utcnow
from core.upsert import insert_ignore
from core.validation import ValidationError

MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices
SNOWFLAKE_RE = re.compile(r"[0-9]{17,20}")
MAX_SNOWFLAKE = 2**64 - 1
ALLOWED, DISALLOWED = "discord_allowed", "discord_disallowed"


@dataclass(frozen=True)
class Bound:
    """An open campaign bound to a server, as the commands show it."""

    binding_id: int
    campaign_id: int
    slug: str
    title: str
    artist: str


@dataclass(frozen=True)
class Allowance:
    """A server the artist allowed to bind a campaign, and whether it has."""

    slug: str
    guild_id: str
    allowed_at: datetime
    bound: bool


class NoSuchCampaign(LookupError):
    """No open campaign with that slug."""


class NotAllowed(PermissionError):
    """The artist has not allowed this server to bind this campaign."""


def guild_snowflake(value: str | None, field: str = "GUILD_ID") -> str:
    """A Discord server id: a snowflake of 17-20 digits."""
    raw = (value or "").strip()
    if not SNOWFLAKE_RE.fullmatch(raw) or int(raw) > MAX_SNOWFLAKE:
        raise ValidationError(
            field, "a Discord server id, 17-20 digits (with Developer Mode on: Copy Server ID)"
        )
    return raw


def _is_allowed(campaign_id: Any, guild_id: Any) -> ColumnElement[bool]:
    """SQL: the artist allowed this server to bind this campaign."""
    return exists().where(
        and_(DiscordAllowance.campaign_id == campaign_id, DiscordAllowance.guild_id == guild_id)
    )


def is_allowed(session: Db, campaign_id: int, guild_id: str) -> bool:
    """Whether the artist allowed this server to bind this campaign."""
    return bool(session.scalar(select(_is_allowed(campaign_id, guild_id))))


def allow(session: Session, campaign: Campaign, guild_id: str) -> bool:
    """The artist allows the server to bind the campaign; False when it already was."""
    created = insert_ignore(
        session,
        DiscordAllowance.__table__,  # type: ignore[arg-type]
        {"campaign_id": campaign.id, "guild_id": guild_id, "created_at": utcnow()},
        DiscordAllowance.id,
    )
    if created is not None:
        events.record(session, ALLOWED, campaign_id=campaign.id, channel="discord", source=guild_id)
    return created is not None


def disallow(session: Session, campaign: Campaign, guild_id: str) -> bool:
    """The artist takes the allowance back: the server's binding stops counting (no new
    fans there, no drop post there); False when there was none."""
    removed = session.execute(
        delete(DiscordAllowance.__table__).where(  # type: ignore[arg-type]
            DiscordAllowance.campaign_id == campaign.id, DiscordAllowance.guild_id == guild_id
        )
    )
    if getattr(removed, "rowcount", 0):
        events.record(
            session, DISALLOWED, campaign_id=campaign.id, channel="discord", source=guild_id
        )
        return True
    return False


def allowances(session: Session, campaign_id: int | None = None) -> list[Allowance]:
    """Servers allowed to bind (one campaign's, or every campaign's), oldest first."""
    bound = exists().where(
        DiscordBinding.campaign_id == DiscordAllowance.campaign_id,
        DiscordBinding.guild_id == DiscordAllowance.guild_id,
    )
    query = (
        select(Campaign.slug, DiscordAllowance.guild_id, DiscordAllowance.created_at, bound)
        .join(Campaign, Campaign.id == DiscordAllowance.campaign_id)
        .order_by(DiscordAllowance.created_at, DiscordAllowance.id)
    )
    if campaign_id is not None:
        query = query.where(DiscordAllowance.campaign_id == campaign_id)
    return [Allowance(slug, guild, at, bool(b)) for slug, guild, at, b in session.execute(query)]


def allowed_bindings(session: Session, campaign_id: int) -> list[int]:
    """Ids of the campaign's bindings that count (their server is still allowed)."""
    query = select(DiscordBinding.id).where(
        DiscordBinding.campaign_id == campaign_id,
        _is_allowed(DiscordBinding.campaign_id, DiscordBinding.guild_id),
    )
    return list(session.scalars(query))


def open_campaign(session: Db, slug: str) -> Bound | None:
    """The open campaign `slug` (binding id 0: not bound anywhere yet)."""
    row = session.execute(
        select(Campaign.id, Campaign.slug, Campaign.title, Artist.name)
        .join(Artist, Artist.id == Campaign.artist_id)
        .where(Campaign.slug == slug, Campaign.status == CampaignStatus.OPEN)
    ).first()
    return Bound(0, row[0], row[1], row[2], row[3]) if row else None


def bound_in(session: Db, guild_id: str) -> list[Bound]:
    """Open campaigns bound to this server (and still allowed), soonest release first."""
    rows = session.execute(
        select(DiscordBinding.id, Campaign.id, Campaign.slug, Campaign.title, Artist.name)
        .join(Campaign, Campaign.id == DiscordBinding.campaign_id)
        .join(Artist, Artist.id == Campaign.artist_id)
        .where(
            DiscordBinding.guild_id == guild_id,
            Campaign.status == CampaignStatus.OPEN,
            _is_allowed(Campaign.id, guild_id),
        )
        .order_by(Campaign.release_at, Campaign.id)
    )
    return [Bound(*row) for row in rows]


def choices(campaigns: list[Bound], typed: str) -> list[tuple[str, str]]:
    """(label, slug) autocomplete choices whose label or slug contains what was typed."""
    needle = typed.strip().lower()
    found = []
    for c in campaigns:
        label = f"{c.title} - {c.artist}"[:100]
        if needle in label.lower() or needle in c.slug:
            found.append((label, c.slug))
    return found[:MAX_CHOICES]


def allowed_in(session: Db, guild_id: str) -> list[Bound]:
    """Open campaigns the artist allowed this server to bind (what /presave-setup offers),
    soonest release first."""
    rows = session.execute(
        select(Campaign.id, Campaign.slug, Campaign.title, Artist.name)
        .join(Artist, Artist.id == Campaign.artist_id)
        .where(Campaign.status == CampaignStatus.OPEN, _is_allowed(Campaign.id, guild_id))
        .order_by(Campaign.release_at, Campaign.id)
    )
    return [Bound(0, *row) for row in rows]


def bind(
    session: Session, slug: str, guild_id: str, channel_id: str, role_id: str, by: str
) -> tuple[DiscordBinding, bool]:
    """Bind the campaign to the server (again: new channel and role); (binding, created).

    A role Discord had refused is forgotten, so the fans waiting for it are given it now.
    Raises NotAllowed unless the artist allowed the server.
    """
    campaign = open_campaign(session, slug)
    if campaign is None:
        raise NoSuchCampaign(slug)
    if not is_allowed(session, campaign.campaign_id, guild_id):
        raise NotAllowed(slug, guild_id)
    binding = session.scalar(
        select(DiscordBinding).where(
            DiscordBinding.campaign_id == campaign.campaign_id, DiscordBinding.guild_id == guild_id
        )
    )
    created = binding is None
    if binding is None:
        binding = DiscordBinding(campaign_id=campaign.campaign_id, guild_id=guild_id)
        session.add(binding)
    if binding.role_id != role_id:
        _requeue_failed(session, binding)
    binding.channel_id, binding.role_id, binding.bound_by = channel_id, role_id, by
    binding.role_error = None
    binding.updated_at = utcnow()
    session.flush()
    return binding, created


def _requeue_failed(session: Session, binding: DiscordBinding) -> None:
    """A new role: fans whose grant of the old one failed get the new one."""
    if binding.id is None:
        return
    for grant in session.scalars(
        select(DiscordRoleGrant).where(
            DiscordRoleGrant.binding_id == binding.id,
            DiscordRoleGrant.status == RoleGrantStatus.FAILED,
        )
    ):
        grant.status, grant.not_before, grant.error = RoleGrantStatus.QUEUED, None, None


def _counted(session: Session, column: Any, *where: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column))
    return {str(key): int(n) for key, n in rows}


def campaign_view(session: Session, campaign_id: int) -> dict[str, Any]:
    """The campaign's Discord side for the artist: its servers, roles given, posts made."""
    bindings = list(
        session.scalars(select(DiscordBinding).where(DiscordBinding.campaign_id == campaign_id))
    )
    ids = [b.id for b in bindings]
    return {
        "servers": [
            {
                "guild_id": b.guild_id,
                "channel_id": b.channel_id,
                "role_id": b.role_id,
                "role_error": b.role_error,
            }
            for b in bindings
        ],
        "roles": _counted(session, DiscordRoleGrant.status, DiscordRoleGrant.binding_id.in_(ids)),
        "posts": _counted(
            session, DiscordAnnouncement.status, DiscordAnnouncement.binding_id.in_(ids)
        ),
    }
