"""Campaigns bound to Discord servers by /presave-setup, and the choices commands offer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import Db
from core.models import (
    Artist,
    Campaign,
    CampaignStatus,
    DiscordAnnouncement,
    DiscordBinding,
    DiscordRoleGrant,
    RoleGrantStatus,
)
from core.timeutil import utcnow

MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices


@dataclass(frozen=True)
class Bound:
    """An open campaign bound to a server, as the commands show it."""

    binding_id: int
    campaign_id: int
    slug: str
    title: str
    artist: str


class NoSuchCampaign(LookupError):
    """No open campaign with that slug."""


def open_campaign(session: Db, slug: str) -> Bound | None:
    """The open campaign `slug` (binding id 0: not bound anywhere yet)."""
    row = session.execute(
        select(Campaign.id, Campaign.slug, Campaign.title, Artist.name)
        .join(Artist, Artist.id == Campaign.artist_id)
        .where(Campaign.slug == slug, Campaign.status == CampaignStatus.OPEN)
    ).first()
    return Bound(0, row[0], row[1], row[2], row[3]) if row else None


def bound_in(session: Db, guild_id: str) -> list[Bound]:
    """Open campaigns bound to this server, soonest release first."""
    rows = session.execute(
        select(DiscordBinding.id, Campaign.id, Campaign.slug, Campaign.title, Artist.name)
        .join(Campaign, Campaign.id == DiscordBinding.campaign_id)
        .join(Artist, Artist.id == Campaign.artist_id)
        .where(DiscordBinding.guild_id == guild_id, Campaign.status == CampaignStatus.OPEN)
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


def all_open(session: Db) -> list[Bound]:
    """Every open campaign (what /presave-setup may bind), soonest release first."""
    rows = session.execute(
        select(Campaign.id, Campaign.slug, Campaign.title, Artist.name)
        .join(Artist, Artist.id == Campaign.artist_id)
        .where(Campaign.status == CampaignStatus.OPEN)
        .order_by(Campaign.release_at, Campaign.id)
    )
    return [Bound(0, *row) for row in rows]


def bind(
    session: Session, slug: str, guild_id: str, channel_id: str, role_id: str, by: str
) -> tuple[DiscordBinding, bool]:
    """Bind the campaign to the server (again: new channel and role); (binding, created).

    A role Discord had refused is forgotten, so the fans waiting for it are given it now.
    """
    campaign = open_campaign(session, slug)
    if campaign is None:
        raise NoSuchCampaign(slug)
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
