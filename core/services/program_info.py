"""What the home and help pages say: who runs the program, how to reach them, what is open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.models import Campaign, CampaignStatus
from core.services.link_pages import CampaignCard, campaign_card
from core.settings import Settings

HOME_LIMIT = 100  # campaigns listed on the home page, soonest release first


@dataclass(frozen=True)
class Program:
    """The program as a fan reads about it."""

    name: str  # PROGRAM_NAME, as SMS replies name it
    operator: str  # the site that runs it (PUBLIC_URL's host)
    contact: str | None  # PROGRAM_CONTACT, unless it is this help page itself
    contact_is_url: bool


def program(settings: Settings) -> Program:
    """PROGRAM_NAME, the operator's site and PROGRAM_CONTACT, for the pages."""
    help_url = f"{settings.public_url}/help"
    contact = settings.program_contact.strip() or None
    if contact is not None and contact.rstrip("/") == help_url:
        contact = None
    operator = urlsplit(settings.public_url).hostname or settings.public_url
    is_url = contact is not None and contact.startswith(("https://", "http://"))
    return Program(settings.program_name, operator, contact, is_url)


def open_campaigns(session: Session, *, now: datetime | None = None) -> list[CampaignCard]:
    """The campaigns open to fans, soonest release first (at most HOME_LIMIT)."""
    query = (
        select(Campaign)
        .options(joinedload(Campaign.artist))
        .where(Campaign.status == CampaignStatus.OPEN)
        .order_by(Campaign.release_at, Campaign.id)
        .limit(HOME_LIMIT)
    )
    return [campaign_card(c, now=now) for c in session.scalars(query)]
