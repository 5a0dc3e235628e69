"""Small factories for rows used across tests."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from core.models import Campaign
from core.services.campaigns import CampaignDraft, create_campaign
from core.timeutil import utcnow


def make_campaign(session: Session, keyword: str = "DROP", **overrides: object) -> Campaign:
    """An open campaign releasing in a week, committed."""
    fields: dict[str, object] = {
        "artist": "Mira Vale",
        "title": f"Night Bloom {keyword}",
        "keyword": keyword,
        "release_at": (utcnow() + timedelta(days=7)).isoformat(),
        "timezone": "America/New_York",
        "spotify_album_id": "4aawyAB9vmqN3uQ7FjRGTy",
    }
    fields.update(overrides)
    campaign = create_campaign(session, CampaignDraft(**fields))  # type: ignore[arg-type]
    session.commit()
    return campaign
