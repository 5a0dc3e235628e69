"""The campaign forms of the artist app (new, edit, close, Discord server) and how the
command line's field names and words map onto them.

The fields are checked by core (campaign_fields, campaign_edit, artwork), the same checks
as `presave campaign create|edit`; these forms only carry the CSRF token and the input."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField

from core.services import campaign_edit, campaigns, team_campaigns
from core.services.team_campaigns import ArtworkGiven

COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Stockholm",
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Toronto", "America/Sao_Paulo", "America/Mexico_City", "Africa/Lagos",
    "Asia/Tokyo", "Asia/Seoul", "Asia/Kolkata", "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip
# The command line's field names (core's FieldErrors keys) -> our form fields.
FIELD_OF = {
    "--artist": "artist",
    "--title": "title",
    "keyword": "keyword",
    "release-at": "release_local",
    "timezone": "timezone",
    "release": "spotify_album_id",
    "spotify-album-id": "spotify_album_id",
    "upc": "upc",
    "isrc": "isrc",
    "spotify-artist-id": "spotify_artist_id",
    "artwork": "artwork_file",
    "artwork_url": "artwork_url",
    "guild_id": "guild_id",
}
# The command line's words for its flags -> the form's labels.
WORDS = (
    ("give --force to create it anyway", 'tick "Save it although that time has passed"'),
    (
        "ISO 8601 date and time with an explicit offset, e.g. 2026-12-04T00:00:00-05:00",
        "a date and time, e.g. 2027-03-05 00:00",
    ),
    ("--spotify-album-id", "Spotify album id"),
    ("--upc", "UPC"),
    ("--isrc", "ISRC"),
)


def optional(value: str | None) -> str | None:
    """An optional field: empty means not given."""
    text = (value or "").strip()
    return text or None


def in_form_words(message: str) -> str:
    """A core message as the form says it: labels, not flags; a capital first letter."""
    for cli, ours in WORDS:
        message = message.replace(cli, ours)
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def place_errors(form: FlaskForm, errors: dict[str, str]) -> str | None:
    """Put each refusal next to its field; what belongs to no field, as one line."""
    rest = []
    for key, message in errors.items():
        field = getattr(form, FIELD_OF.get(key, ""), None)
        if field is None:
            rest.append(in_form_words(message))
        else:
            field.errors = [*field.errors, in_form_words(message)]
    return " ".join(rest) or None


class ReleaseFields(FlaskForm):
    """What new and edit share."""

    title = StringField("Title")
    keyword = StringField(
        "Keyword", description="One word fans text to join, 2-20 letters or digits."
    )
    release_local = StringField(
        "Release time",
        render_kw={"type": "datetime-local"},
        description="In the time zone below.",
    )
    timezone = StringField(
        "Time zone",
        default="UTC",
        render_kw={"list": "zones", "autocapitalize": "off", "spellcheck": "false"},
        description="An IANA zone such as America/New_York.",
    )
    spotify_album_id = StringField("Spotify album id", description="Fill in one of these three.")
    upc = StringField("UPC", description="12 to 14 digits.")
    isrc = StringField("ISRC", description="For example USRC17607839.")
    spotify_artist_id = StringField("Spotify artist id", description="Optional.")
    follow = BooleanField("Fans also follow the artist on Spotify", default=True)
    force = BooleanField("Save it although that time has passed")

    def release_ids(self) -> dict[str, str | None]:
        """The release and artist ids typed (empty: not given)."""
        names = ("spotify_album_id", "upc", "isrc", "spotify_artist_id")
        return {name: optional(getattr(self, name).data) for name in names}

    def release_at(self) -> str | None:
        """The release time as the command line takes it (ISO 8601 with an offset)."""
        return team_campaigns.local_release(self.release_local.data, self.timezone.data)


class NewCampaignForm(ReleaseFields):
    """`presave campaign create`'s fields."""

    artist = StringField("Artist name")

    def draft(self) -> campaigns.CampaignDraft:
        """What was typed, for create's checks."""
        return campaigns.CampaignDraft(
            artist=self.artist.data,
            title=self.title.data,
            keyword=self.keyword.data,
            release_at=self.release_at(),
            timezone=self.timezone.data,
            follow=bool(self.follow.data),
            force=bool(self.force.data),
            **self.release_ids(),
        )


class EditCampaignForm(ReleaseFields):
    """`presave campaign edit`'s fields and the cover art; read-only fields are not sent."""

    artwork_file = FileField("Upload cover art", description="PNG, JPEG or WebP, at most 2 MB.")
    artwork_url = StringField(
        "Or the address of the image", description="An https:// address on your own site or CDN."
    )

    def fill(self, campaign: Any) -> None:
        """Show the campaign as it is now (a GET)."""
        for name in ("title", "keyword", "timezone", "spotify_album_id", "upc", "isrc"):
            getattr(self, name).data = getattr(campaign, name)
        self.spotify_artist_id.data = campaign.spotify_artist_id
        self.release_local.data = team_campaigns.local_input(campaign.release_at, campaign.timezone)
        self.follow.data = campaign.action_follow

    def changes(self) -> campaign_edit.CampaignChanges:
        """What was sent (a field not sent stays as it is)."""
        sent = self.release_local.raw_data
        return campaign_edit.CampaignChanges(
            title=self.title.data if self.title.raw_data else None,
            keyword=self.keyword.data if self.keyword.raw_data else None,
            release_at=self.release_at() if sent else None,
            timezone=self.timezone.data if self.timezone.raw_data else None,
            follow=bool(self.follow.data),
            force=bool(self.force.data),
            **self.release_ids(),
        )

    def artwork(self) -> ArtworkGiven:
        """The uploaded file or the URL, if either was given."""
        upload = self.artwork_file.data
        stream = upload.stream if upload is not None and upload.filename else None
        return ArtworkGiven(stream, optional(self.artwork_url.data))


class ServerForm(FlaskForm):
    """A Discord server id to allow or revoke."""

    guild_id = StringField(
        "Server id",
        description="17-20 digits: in Discord, with Developer Mode on, right-click the server "
        "and choose Copy Server ID.",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class ConfirmForm(FlaskForm):
    """A confirmation button (closing a campaign): only its CSRF token."""
