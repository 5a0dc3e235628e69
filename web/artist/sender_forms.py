"""The campaign's SMS sender form: kind, a Messaging Service's numbers, a daily cap (checked
by core, as `presave campaign sender` checks them)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from core.services.campaign_sender import SenderChange
from core.services.tenancy import Campaign

KINDS = [
    SelectChoice("long_code", "Long code (a local number, about 1 text/s)"),
    SelectChoice("toll_free", "Toll-free number (3 texts/s)"),
    SelectChoice("short_code", "Short code (100 texts/s)"),
    SelectChoice("messaging_service", "Twilio Messaging Service (1 text/s per number)"),
]
# core's field names (the CLI's flags) -> this form's fields
FIELD_OF = {"--kind": "kind", "--numbers": "numbers", "--daily-cap": "daily_cap"}


class SenderForm(FlaskForm):
    """No choice is checked here: core refuses a bad kind, count or cap by name."""

    kind = SelectField("Sender", choices=KINDS, validate_choice=False)
    numbers = StringField(
        "Numbers in the Messaging Service",
        validators=[Length(max=12)],
        description="Only for a Messaging Service: how many numbers its pool holds (1-400).",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    daily_cap = StringField(
        "Texts a day at most",
        validators=[Length(max=12)],
        description="Empty for no cap (a carrier or Twilio limit, if your sender has one).",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )

    def fill(self, campaign: Campaign) -> SenderForm:
        """The form showing the campaign's sender as it stands."""
        self.kind.data, self.numbers.data = campaign.sms_sender, str(campaign.sms_sender_numbers)
        cap = campaign.sms_daily_cap
        self.daily_cap.data = "" if cap is None else str(cap)
        return self

    def refused(self, field: str, reason: str) -> None:
        """Core's refusal, next to the field it names."""
        shown = getattr(self, FIELD_OF.get(field, "kind"))
        shown.errors = [*shown.errors, reason]

    def change(self) -> SenderChange:
        """What was typed, for core (numbers only for a Messaging Service)."""
        kind = str(self.kind.data or "")
        numbers = (self.numbers.data or "").strip()
        cap = (self.daily_cap.data or "").strip()
        pool = numbers or None if kind == "messaging_service" else None
        return SenderChange(kind, pool, cap or "none")
