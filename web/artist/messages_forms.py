"""The messages pages' forms: a new message (checked by core, as `presave schedule add`
checks it) and the cancel confirmation."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from core.services import template_choices
from core.services.artist_messages import AT, BEFORE, Compose

CHANNELS = [SelectChoice("sms", "SMS"), SelectChoice("discord", "Discord DM")]
TEXT_MAX = 4000  # far above what ten SMS segments hold; core refuses the long ones by name


class MessageForm(FlaskForm):
    """A message from a template. No choice is checked here: every refusal comes from core,
    word for word what `presave schedule add` says (an unknown template included)."""

    template = StringField("Template", validators=[Length(max=100)], default="countdown-1d")
    when = RadioField(
        "When",
        choices=[
            SelectChoice(BEFORE, "Before the release"),
            SelectChoice(AT, "At a date and time"),
        ],
        default=BEFORE,
        validate_choice=False,
    )
    before = StringField(
        "How long before the release",
        validators=[Length(max=20)],
        description="7d, 1d, 1h or 30m; empty: the template's own moment.",
    )
    at = StringField("Date and time", validators=[Length(max=40)])
    channels = SelectMultipleField(
        "Channels", choices=CHANNELS, default=["sms", "discord"], validate_choice=False
    )
    text = TextAreaField(
        "Your own text (optional)",
        validators=[Length(max=TEXT_MAX)],
        description="Empty: the template's text. Variables go in {{ }}, e.g. {{ link }}.",
    )
    action = StringField(default="preview")

    def compose(self) -> Compose:
        """The fields as typed."""
        return Compose(
            template=(self.template.data or "")[:100], when=self.when.data or BEFORE,
            before=(self.before.data or "")[:20], at=(self.at.data or "")[:40],
            channels=tuple(self.channels.data or ()), text=(self.text.data or "")[:TEXT_MAX],
        )  # fmt: skip

    def show_problems(self, errors: dict[str, list[str]]) -> None:
        """Put core's refusals next to the fields they name."""
        for name, messages in errors.items():
            if name:
                self[name].errors = list(messages)


class CancelForm(FlaskForm):
    """The confirmation step: `confirm=yes` cancels, anything else asks first."""

    confirm = StringField()


def template_options() -> list[template_choices.TemplateChoice]:
    """The templates the form offers, in the catalog's order."""
    return template_choices.choices()


__all__ = ["CancelForm", "MessageForm", "template_options"]
