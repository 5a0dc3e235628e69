"""`Mark live` from the artist app: what it would do, and doing it as `presave release
mark-live` does (the campaign's known album, no --force), with the audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from core import runtime
from core.markets import market_code
from core.models import Campaign
from core.redis_conn import is_up
from core.services import audit, drop_status, release_watch
from core.settings import Settings
from core.validation import ValidationError

FIELD = "market"
QUEUE_TIMEOUT = 1.0  # seconds: how long the page waits for the job queue to answer


@dataclass(frozen=True)
class MarkLive:
    """The market asked for (None: every market still waiting), what it names, the fans."""

    market: str | None
    markets_text: str
    fans: int


@dataclass(frozen=True)
class Marked:
    """What marking did: the summary shown before, and the markets newly recorded."""

    summary: MarkLive
    new_markets: list[str]


def parse_market(raw: str | None) -> str | None:
    """Blank (or `all`): every market still waiting; else a Spotify market code."""
    value = (raw or "").strip()
    return None if value in ("", "all") else market_code(value, FIELD)


def confirm(session: Session, campaign: Campaign, raw: str | None) -> MarkLive:
    """The confirmation's words: ValidationError naming `market` for a bad code, or when
    nothing is waiting."""
    market = parse_market(raw)
    text, fans = drop_status.mark_live_summary(session, campaign.id, market)
    if not text:
        raise ValidationError(FIELD, "every fan market is live already; nothing to mark")
    return MarkLive(market, text, fans)


def mark_live(
    session: Session, campaign: Campaign, raw: str | None, now: datetime, team_id: int, user_id: int
) -> Marked:
    """Record the release as live (method "manual") and audit it; the caller starts the drop
    for `new_markets` after the commit, as the CLI does."""
    summary = confirm(session, campaign, raw)
    album = campaign.release_album_id or campaign.spotify_album_id
    if album is None:
        raise ValidationError(
            FIELD, "the campaign has no Spotify album id yet; set it before marking it live"
        )
    try:
        new = release_watch.mark_live(session, campaign, album, summary.market, now)
    except ValidationError:  # too early: only the CLI's --force may do it
        when = campaign.release_at.strftime("%Y-%m-%d %H:%M UTC")
        raise ValidationError(
            FIELD,
            f"the release ({when}) is more than 26 hours away; only "
            "`presave release mark-live --force` marks it live this early",
        ) from None
    detail = f"{summary.markets_text}: {summary.fans} fans; newly live: {', '.join(new) or 'none'}"
    audit.record(session, team_id, user_id, "marked_live", campaign.id, detail)
    return Marked(summary, new)


def queue_reachable(settings: Settings) -> bool:
    """Whether the job queue (Redis) answers now: the drop's start is queued there, so
    the page marks nothing live when it does not."""
    return is_up(runtime.redis_url(settings), timeout=QUEUE_TIMEOUT)


def cli_command(campaign: Campaign, raw: str | None) -> str:
    """The command that marks the same market(s) live on the server (ValidationError
    naming `market` for a bad code)."""
    market = parse_market(raw)
    return f"presave release mark-live {campaign.slug} " + (
        f"--market {market}" if market else "--all-markets"
    )
