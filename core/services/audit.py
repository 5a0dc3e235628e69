"""The team's audit log: who did what to which campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEntry, User

ACTIONS = frozenset(
    {
        "created", "edited", "scheduled", "cancelled", "closed", "marked_live",
        "discord_allowed", "discord_revoked", "exported", "invited", "member_joined",
        "discord_request_dismissed",
        "api_token_created", "api_token_revoked",
        "spotify_quota_exceeded", "sender_changed", "rescheduled",
    }
)  # fmt: skip
DETAIL_MAX = 500
CLI = "CLI"
# Entries no person made: shown as written by this instead of "CLI".
SYSTEM_ACTIONS = {"spotify_quota_exceeded": "Spotify", "rescheduled": "Sandbox clock"}


@dataclass(frozen=True)
class AuditLine:
    """One line of a campaign's history, as the artist app shows it."""

    at: datetime
    who: str  # the user's email, or "CLI" for what an operator did from the command line
    action: str
    detail: str


def record(
    session: Session,
    team_id: int,
    user_id: int | None,
    action: str,
    campaign_id: int | None = None,
    detail: str = "",
) -> AuditEntry:
    """Add one entry (the caller's transaction commits it); unknown actions are refused."""
    if action not in ACTIONS:
        raise ValueError(f"action: one of {', '.join(sorted(ACTIONS))}, not {action!r}")
    entry = AuditEntry(
        team_id=team_id,
        user_id=user_id,
        campaign_id=campaign_id,
        action=action,
        detail=detail[:DETAIL_MAX],
    )
    session.add(entry)
    session.flush()
    return entry


def for_campaign(session: Session, campaign_id: int, limit: int = 50) -> list[AuditLine]:
    """The campaign's latest entries, newest first."""
    rows = session.execute(
        select(AuditEntry, User.email)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(AuditEntry.campaign_id == campaign_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return [
        AuditLine(
            at=entry.at,
            who=email or SYSTEM_ACTIONS.get(entry.action, CLI),
            action=entry.action,
            detail=entry.detail,
        )
        for entry, email in rows
    ]
