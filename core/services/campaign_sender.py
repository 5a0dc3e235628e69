"""A campaign's SMS sender for send planning: its kind, a Messaging Service's numbers, and
the texts it may send a day (`presave campaign sender`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.models import Campaign
from core.services import audit, campaigns
from core.services.send_plan import MAX_NUMBERS, SENDER_KINDS, sender_rate
from core.validation import ValidationError

MAX_DAILY_CAP = 100_000_000


@dataclass(frozen=True)
class SenderChange:
    """What was typed (None: keep it); `daily_cap` "none" removes the cap."""

    kind: str | None = None
    numbers: str | None = None
    daily_cap: str | None = None


def _whole(field: str, text: str, low: int, high: int) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise ValidationError(field, f"a whole number from {low} to {high:,}, got {text!r}")
    return int(value)


def change_sender(session: Session, slug: str, change: SenderChange) -> Campaign:
    """Check every field, then set them on the campaign (nothing set when one is refused)."""
    campaign = campaigns.named(session, slug)
    kind = campaign.sms_sender if change.kind is None else change.kind.strip().lower()
    if kind not in SENDER_KINDS:
        raise ValidationError("--kind", f"one of {', '.join(SENDER_KINDS)}, got {change.kind!r}")
    numbers = campaign.sms_sender_numbers if kind == "messaging_service" else 1
    if change.numbers is not None:
        if kind != "messaging_service":
            raise ValidationError("--numbers", "only a messaging_service has several numbers")
        numbers = _whole("--numbers", change.numbers, 1, MAX_NUMBERS)
    cap = campaign.sms_daily_cap
    if change.daily_cap is not None:
        none = change.daily_cap.strip().lower() == "none"
        cap = None if none else _whole("--daily-cap", change.daily_cap, 1, MAX_DAILY_CAP)
    campaign.sms_sender, campaign.sms_sender_numbers, campaign.sms_daily_cap = kind, numbers, cap
    session.flush()
    return campaign


def sender_json(campaign: Campaign, override: float | None) -> dict[str, object]:
    """The campaign's sender as shown: kind, numbers, daily cap, and the rate planned with."""
    own = sender_rate(campaign.sms_sender, campaign.sms_sender_numbers)
    return {
        "slug": campaign.slug, "kind": campaign.sms_sender,
        "numbers": campaign.sms_sender_numbers, "daily_cap": campaign.sms_daily_cap,
        "mps": override if override is not None else own, "twilio_mps_override": override,
    }  # fmt: skip


def sender_words(kind: str, numbers: int, cap: int | None) -> str:
    """`toll-free (3 texts/s), no daily cap` as the artist's pages say it."""
    name = kind.replace("_", " ").replace("toll free", "toll-free")
    if kind == "messaging_service":
        name += f" of {numbers} number{'s' if numbers != 1 else ''}"
    rate = sender_rate(kind, numbers)
    capped = f"at most {cap:,} texts a day" if cap is not None else "no daily cap"
    return f"{name} ({rate:g} text{'s' if rate != 1 else ''}/s), {capped}"


def change_for_team(
    session: Session, who: tuple[int, int], campaign: Campaign, change: SenderChange
) -> bool:
    """Set the sender from the artist app (`who` is (team_id, user_id)), in its history;
    False when nothing changed. ValidationError names the field as the CLI's flags do."""
    before = (campaign.sms_sender, campaign.sms_sender_numbers, campaign.sms_daily_cap)
    change_sender(session, campaign.slug, change)
    after = (campaign.sms_sender, campaign.sms_sender_numbers, campaign.sms_daily_cap)
    if after == before:
        return False
    audit.record(session, who[0], who[1], "sender_changed", campaign.id, sender_words(*after))
    return True
