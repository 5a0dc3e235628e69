"""Servers that asked to bind a campaign they are not allowed to (/presave-setup): recorded
once per (campaign, server) and counted, listed on the artist's Discord page until allowed
or dismissed.

A dismissed request is remembered and stays dismissed: the server asking again is counted
but not shown again, so a server cannot nag an artist who said no (the artist can still
allow it from the dismissed list). An allowed request is deleted; should the allowance be
revoked later, the server asking again is a new request.

Limits keep one server, or many, from flooding a page: a server has at most
MAX_PENDING_PER_SERVER requests waiting and opens at most MAX_NEW_PER_SERVER_PER_DAY a day;
a campaign keeps at most MAX_PENDING_PER_CAMPAIGN waiting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from core.models import DiscordAllowance, DiscordBindRequest
from core.models.discord import GUILD_NAME, USER_NAME
from core.services import discord_bindings
from core.timeutil import utcnow
from core.upsert import insert_ignore
from core.validation import ValidationError

MAX_PENDING_PER_SERVER = 5
MAX_NEW_PER_SERVER_PER_DAY = 10
MAX_PENDING_PER_CAMPAIGN = 50
MAX_DISMISSED_SHOWN = 20
DAY = timedelta(days=1)
SNOWFLAKE_RE = re.compile(r"[0-9]{17,20}")


class Asked(StrEnum):
    """What became of one /presave-setup by a server not allowed to bind the campaign."""

    NEW = "new"  # recorded: the artist sees it now
    AGAIN = "again"  # already waiting: counted
    DISMISSED = "dismissed"  # the artist dismissed it: counted, not shown again
    SERVER_LIMIT = "server_limit"  # this server has too many requests out: not recorded
    CAMPAIGN_FULL = "campaign_full"  # the campaign has too many waiting: not recorded


@dataclass(frozen=True)
class Asker:
    """The server and the admin who ran /presave-setup, names as Discord gave them."""

    guild_id: str
    user_id: str
    guild_name: str | None = None
    user_name: str | None = None


@dataclass(frozen=True)
class Recorded:
    """The outcome, and how many times the server has asked (0 when not recorded)."""

    asked: Asked
    times: int


@dataclass(frozen=True)
class BindRequest:
    """One server's request to bind the campaign, as the artist's page shows it."""

    guild_id: str
    guild_name: str | None
    asked_by: str
    asked_by_name: str | None
    first_asked_at: datetime
    last_asked_at: datetime
    times_asked: int
    dismissed_at: datetime | None


def clean_name(value: object, limit: int) -> str | None:
    """A name from Discord made safe to show: control and format characters (bidi overrides
    included) become spaces, runs of spaces one, clipped to `limit`; None when nothing is left."""
    if not isinstance(value, str):
        return None
    text = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    return text[:limit].rstrip() or None


def _user_snowflake(value: str) -> str:
    """A Discord user id: a snowflake of 17-20 digits."""
    if not SNOWFLAKE_RE.fullmatch(value) or int(value) > discord_bindings.MAX_SNOWFLAKE:
        raise ValidationError("user_id", "a Discord user id, 17-20 digits")
    return value


def _count(session: Session, *where: Any) -> int:
    return int(session.scalar(select(func.count(DiscordBindRequest.id)).where(*where)) or 0)


def _refusal(session: Session, campaign_id: int, guild_id: str, now: datetime) -> Asked | None:
    """Why a new request may not be recorded, or None."""
    waiting = DiscordBindRequest.dismissed_at.is_(None)
    if _count(session, DiscordBindRequest.guild_id == guild_id, waiting) >= MAX_PENDING_PER_SERVER:
        return Asked.SERVER_LIMIT
    recent = DiscordBindRequest.first_asked_at >= now - DAY
    if _count(session, DiscordBindRequest.guild_id == guild_id, recent) >= (
        MAX_NEW_PER_SERVER_PER_DAY
    ):
        return Asked.SERVER_LIMIT
    if _count(session, DiscordBindRequest.campaign_id == campaign_id, waiting) >= (
        MAX_PENDING_PER_CAMPAIGN
    ):
        return Asked.CAMPAIGN_FULL
    return None


def record(
    session: Session, campaign_id: int, asker: Asker, now: datetime | None = None
) -> Recorded:
    """Record (or count again) the server's request to bind the campaign. The caller has
    checked the server is not allowed. ValidationError for a malformed server or user id."""
    guild = discord_bindings.guild_snowflake(asker.guild_id, "guild_id")
    user = _user_snowflake(asker.user_id)
    guild_name, user_name = (
        clean_name(asker.guild_name, GUILD_NAME),
        clean_name(asker.user_name, USER_NAME),
    )
    at = now or utcnow()
    mine = (DiscordBindRequest.campaign_id == campaign_id, DiscordBindRequest.guild_id == guild)
    if session.scalar(select(DiscordBindRequest.id).where(*mine)) is None:
        refused = _refusal(session, campaign_id, guild, at)
        if refused is not None:
            return Recorded(refused, 0)
        values = {
            "campaign_id": campaign_id,
            "guild_id": guild,
            "guild_name": guild_name,
            "asked_by": user,
            "asked_by_name": user_name,
            "first_asked_at": at,
            "last_asked_at": at,
            "times_asked": 1,
        }
        table = DiscordBindRequest.__table__
        if insert_ignore(session, table, values, DiscordBindRequest.id) is not None:  # type: ignore[arg-type]
            return Recorded(Asked.NEW, 1)
    session.execute(  # asked before (or just now, by a concurrent command): count it
        update(DiscordBindRequest)
        .where(*mine)
        .values(
            times_asked=DiscordBindRequest.times_asked + 1,
            last_asked_at=at,
            asked_by=user,
            asked_by_name=user_name,
            guild_name=func.coalesce(guild_name, DiscordBindRequest.guild_name),
        )
        .execution_options(synchronize_session=False)
    )
    times, dismissed = session.execute(
        select(DiscordBindRequest.times_asked, DiscordBindRequest.dismissed_at).where(*mine)
    ).one()
    return Recorded(Asked.AGAIN if dismissed is None else Asked.DISMISSED, int(times))


def _listed(session: Session, campaign_id: int, dismissed: bool, limit: int) -> list[BindRequest]:
    r = DiscordBindRequest
    allowed = exists().where(
        DiscordAllowance.campaign_id == r.campaign_id, DiscordAllowance.guild_id == r.guild_id
    )
    state = r.dismissed_at.is_not(None) if dismissed else r.dismissed_at.is_(None)
    order = r.dismissed_at.desc() if dismissed else r.last_asked_at.desc()
    rows = session.execute(
        select(
            r.guild_id,
            r.guild_name,
            r.asked_by,
            r.asked_by_name,
            r.first_asked_at,
            r.last_asked_at,
            r.times_asked,
            r.dismissed_at,
        )
        .where(r.campaign_id == campaign_id, state, ~allowed)
        .order_by(order, r.id.desc())
        .limit(limit)
    )
    return [BindRequest(*row) for row in rows]


def pending(session: Session, campaign_id: int) -> list[BindRequest]:
    """Requests waiting for the artist (servers not allowed since), latest asked first."""
    return _listed(session, campaign_id, False, MAX_PENDING_PER_CAMPAIGN)


def dismissed(session: Session, campaign_id: int) -> list[BindRequest]:
    """The latest dismissed requests (of servers not allowed since), latest dismissed first."""
    return _listed(session, campaign_id, True, MAX_DISMISSED_SHOWN)


def dismiss(session: Session, campaign_id: int, guild_id: str, now: datetime | None = None) -> bool:
    """The artist dismisses a waiting request; False when none was waiting."""
    done = session.execute(
        update(DiscordBindRequest)
        .where(
            DiscordBindRequest.campaign_id == campaign_id,
            DiscordBindRequest.guild_id == guild_id,
            DiscordBindRequest.dismissed_at.is_(None),
        )
        .values(dismissed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def resolve(session: Session, campaign_id: int, guild_id: str) -> bool:
    """The server was allowed: its request (waiting or dismissed) is done; False if none."""
    done = session.execute(
        delete(DiscordBindRequest)
        .where(
            DiscordBindRequest.campaign_id == campaign_id, DiscordBindRequest.guild_id == guild_id
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))
