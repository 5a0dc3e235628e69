"""All tables, one module per part of the domain."""

from core.models.accounts import AuditEntry, Membership, OneTimeToken, Team, User
from core.models.analytics import Event
from core.models.api_tokens import ApiToken
from core.models.audience import (
    Channel,
    Consent,
    ConsentStatus,
    Fan,
    OptOut,
    PhoneConfirmation,
)
from core.models.base import Base, UTCDateTime
from core.models.catalog import Artist, Campaign, CampaignStatus
from core.models.discord import (
    DiscordAllowance,
    DiscordAnnouncement,
    DiscordBinding,
    DiscordBindRequest,
    DiscordInteraction,
    DiscordRoleGrant,
    RoleGrantStatus,
)
from core.models.funnel import FunnelFact, MessageReaction, PageViewHour
from core.models.links import FanLink, InboundMessage
from core.models.messaging import (
    Delivery,
    DeliveryStatus,
    MessageStatus,
    OutboundText,
    ScheduledMessage,
)
from core.models.oauth import OAuthNonce, PageVisit
from core.models.release import ReleaseMarket
from core.models.spotify import GrantStatus, PreSave, PreSaveStatus, SpotifyGrant

__all__ = [
    "ApiToken",
    "Artist",
    "AuditEntry",
    "Base",
    "Campaign",
    "CampaignStatus",
    "Channel",
    "Consent",
    "ConsentStatus",
    "Delivery",
    "DeliveryStatus",
    "DiscordAllowance",
    "DiscordAnnouncement",
    "DiscordBindRequest",
    "DiscordBinding",
    "DiscordInteraction",
    "DiscordRoleGrant",
    "Event",
    "Fan",
    "FanLink",
    "FunnelFact",
    "GrantStatus",
    "InboundMessage",
    "Membership",
    "MessageReaction",
    "MessageStatus",
    "OAuthNonce",
    "OneTimeToken",
    "OptOut",
    "OutboundText",
    "PageViewHour",
    "PageVisit",
    "PhoneConfirmation",
    "PreSave",
    "PreSaveStatus",
    "ReleaseMarket",
    "RoleGrantStatus",
    "ScheduledMessage",
    "SpotifyGrant",
    "Team",
    "UTCDateTime",
    "User",
]
