"""A fan's Spotify authorization: the start (signed state) and the callback's steps."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.crypto import TokenCipher
from core.models import Campaign, Fan, FanLink
from core.providers import ProviderError, QuotaRestricted, Revoked, spotify
from core.services import campaigns, discord_roles, grants, late_save, links, oauth_state
from core.services.grant_tokens import GrantTokenCache
from core.services.link_pages import SLUG_RE, CampaignCard, LinkPage, campaign_card, link_page
from core.services.oauth_state import AuthState, BadState

log = logging.getLogger(__name__)
CODE_RE = re.compile(r"[A-Za-z0-9_.~-]{1,1024}")
# The edge's unit of work: a context manager giving a session it commits on success.
UnitOfWork = Callable[[], AbstractContextManager[Session]]


class Outcome(StrEnum):
    """How a start or a callback ended."""

    CONNECTED = "connected"
    REDIRECT = "redirect"
    NOT_FOUND = "not_found"
    ENDED = "ended"
    NOT_CONFIGURED = "not_configured"
    BAD_STATE = "bad_state"
    GONE = "gone"
    DENIED = "denied"
    SPOTIFY_ERROR = "spotify_error"
    CODE_REFUSED = "code_refused"
    QUOTA = "quota"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Claim:
    """A state that was valid and is now spent, with what the callback pages need."""

    state: AuthState
    campaign: CampaignCard
    link_code: str | None  # the fan's personal link, when the fan was known


@dataclass(frozen=True)
class Result:
    """What happened, and what the page needs to say it."""

    outcome: Outcome
    url: str | None = None  # REDIRECT: Spotify's authorize URL
    reason: str | None = None  # BAD_STATE: tampered, expired or replayed
    card: CampaignCard | None = None
    claim: Claim | None = None
    page: LinkPage | None = None  # CONNECTED: the fan's link page
    role_grants: tuple[int, ...] = ()  # CONNECTED: Discord roles now due (queue them)
    save_now: tuple[int, ...] = ()  # CONNECTED after the drop: the pre-save to queue at once


def _start(
    app: spotify.SpotifyApp | None,
    secret_key: str,
    card: CampaignCard,
    fan_id: int | None,
    source: str,
    browser: str,
) -> Result:
    if app is None:
        return Result(Outcome.NOT_CONFIGURED, card=card)
    if not card.is_open:
        return Result(Outcome.ENDED, card=card)
    state = oauth_state.issue(
        secret_key, campaign_id=card.id, fan_id=fan_id, source=source, browser=browser
    )
    return Result(Outcome.REDIRECT, url=spotify.authorize_url(app, card.scopes, state), card=card)


def start_for_campaign(
    session: Session,
    app: spotify.SpotifyApp | None,
    secret_key: str,
    slug: str,
    source: str,
    *,
    browser: str,
) -> Result:
    """A visitor of the public page: a state naming no fan (made from Spotify later).

    `browser` is the nonce the visitor's browser keeps in a cookie (oauth_state.browser_nonce).
    """
    campaign = campaigns.get_by_slug(session, slug) if SLUG_RE.fullmatch(slug) else None
    if campaign is None:
        return Result(Outcome.NOT_FOUND)
    return _start(app, secret_key, campaign_card(campaign), None, source, browser)


def start_for_link(
    session: Session, app: spotify.SpotifyApp | None, secret_key: str, code: str, *, browser: str
) -> Result:
    """A fan with a personal link: a state bound to them, the campaign, the link's source and
    the fan's browser."""
    link = links.find(session, code)
    if link is None:
        return Result(Outcome.NOT_FOUND)
    campaign = session.get(Campaign, link.campaign_id)
    assert campaign is not None
    return _start(app, secret_key, campaign_card(campaign), link.fan_id, link.source, browser)


def claim(session: Session, state: AuthState, *, now: datetime | None = None) -> Claim:
    """Spend the state's nonce (BadState if replayed) and load what it names (LookupError)."""
    campaign = session.get(Campaign, state.campaign_id)
    if campaign is None:
        raise LookupError(f"campaign {state.campaign_id} is gone")
    link_code = None
    if state.fan_id is not None:
        if session.get(Fan, state.fan_id) is None:
            raise LookupError(f"fan {state.fan_id} is gone")
        link_code = session.scalar(
            select(FanLink.code).where(
                FanLink.fan_id == state.fan_id, FanLink.campaign_id == campaign.id
            )
        )
    oauth_state.spend(session, state, now=now)
    return Claim(state, campaign_card(campaign, now=now), link_code)


def complete(
    units: UnitOfWork,
    *,
    app: spotify.SpotifyApp | None,
    secret_key: str,
    cipher: TokenCipher,
    params: Mapping[str, str],
    browser: str | None,
    now: datetime | None = None,
) -> Result:
    """The callback: check and spend the state, exchange the code, read /me, store.

    Each database step is its own unit of work, so no transaction stays open while
    Spotify answers. A bad state (or one started in another browser: `browser` is the
    cookie's nonce) stores nothing; a refused fan stores no token.
    """
    try:
        state = oauth_state.read(secret_key, params.get("state"), browser=browser, now=now)
        if app is None:
            return Result(Outcome.NOT_CONFIGURED)
        with units() as session:
            claimed = claim(session, state, now=now)
    except BadState as exc:
        return Result(Outcome.BAD_STATE, reason=exc.reason)
    except LookupError:
        return Result(Outcome.GONE)
    error, code = params.get("error"), params.get("code") or ""
    if error == "access_denied":
        return Result(Outcome.DENIED, card=claimed.campaign, claim=claimed)
    if error or not CODE_RE.fullmatch(code):
        return Result(Outcome.SPOTIFY_ERROR, card=claimed.campaign, claim=claimed)
    return _exchange(units, app, cipher, claimed, code)


def _exchange(
    units: UnitOfWork, app: spotify.SpotifyApp, cipher: TokenCipher, claimed: Claim, code: str
) -> Result:
    tokens = GrantTokenCache(cipher)
    card = claimed.campaign
    try:
        access_token = spotify.exchange_code(app, card.scopes, tokens, code)
        user = spotify.current_user(app, access_token)
    except QuotaRestricted:
        with units() as session:
            grants.record_quota(session, claimed.state)
        return Result(Outcome.QUOTA, card=card, claim=claimed)
    except Revoked:
        return Result(Outcome.CODE_REFUSED, card=card, claim=claimed)
    except ProviderError as exc:
        log.warning("spotify callback failed for campaign %s: %s", card.id, exc)
        return Result(Outcome.UNAVAILABLE, card=card, claim=claimed)
    with units() as session:
        done = grants.store_authorization(session, claimed.state, user, tokens)
        roles = discord_roles.after_authorization(session, claimed.state.campaign_id, done.fan_id)
        due = late_save.due_after_connect(session, claimed.state.campaign_id, done.fan_id)
        link = links.find(session, done.link_code)
        assert link is not None
        page = link_page(session, link)
    return Result(
        Outcome.CONNECTED,
        card=page.campaign,
        claim=claimed,
        page=page,
        role_grants=tuple(roles),
        save_now=(due,) if due is not None else (),
    )
