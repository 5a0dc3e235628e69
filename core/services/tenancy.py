"""Which campaigns a team may see: a campaign belongs to its artist's team."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.models import Artist, Campaign, Team

__all__ = ["Campaign", "NotInTeam", "assign_artist", "team_campaign", "team_campaigns"]


class NotInTeam(LookupError):
    """The campaign (or artist) is not the team's; web views answer 404."""


class ArtistInOtherTeam(ValueError):
    """The artist already belongs to another team."""


def team_campaign(session: Session, team_id: int, campaign_id: int) -> Campaign:
    """The team's campaign `campaign_id`; NotInTeam when missing or another team's."""
    campaign = session.scalar(
        select(Campaign)
        .join(Artist, Artist.id == Campaign.artist_id)
        .options(joinedload(Campaign.artist))
        .where(Campaign.id == campaign_id, Artist.team_id == team_id)
    )
    if campaign is None:
        raise NotInTeam(f"campaign {campaign_id} is not in team {team_id}")
    return campaign


def team_campaigns(session: Session, team_id: int) -> list[Campaign]:
    """The team's campaigns, the latest release first."""
    return list(
        session.scalars(
            select(Campaign)
            .join(Artist, Artist.id == Campaign.artist_id)
            .options(joinedload(Campaign.artist))
            .where(Artist.team_id == team_id)
            .order_by(Campaign.release_at.desc(), Campaign.id.desc())
        )
    )


def team_artist_ids(session: Session, team_id: int) -> list[int]:
    """Ids of the artists the team manages."""
    return list(session.scalars(select(Artist.id).where(Artist.team_id == team_id)))


def assign_artist(session: Session, artist_id: int, team_id: int) -> None:
    """Put the artist in the team; an artist already in another team is refused."""
    artist = session.get(Artist, artist_id)
    if artist is None:
        raise NotInTeam(f"no artist {artist_id}")
    if session.get(Team, team_id) is None:
        raise NotInTeam(f"no team {team_id}")
    if artist.team_id is not None and artist.team_id != team_id:
        raise ArtistInOtherTeam(f"{artist.name} already belongs to another team")
    artist.team_id = team_id
    session.flush()


class UnknownTeam(LookupError):
    """No team has that name."""


def team_id_named(session: Session, name: str) -> int:
    """The id of the team called `name`; UnknownTeam otherwise."""
    team_id = session.scalar(select(Team.id).where(Team.name == (name or "").strip()))
    if team_id is None:
        raise UnknownTeam(f"no team is named {name.strip()!r} (presave user create makes one)")
    return team_id


def adopt_campaign(session: Session, team_id: int, campaign: Campaign) -> None:
    """Put a campaign made from the command line in the team, and log it."""
    from core.services import audit

    assign_artist(session, campaign.artist_id, team_id)
    audit.record(session, team_id, None, "created", campaign.id, detail=campaign.title)
