"""The API tokens page's forms: a new token (name and scope, checked by core) and revoking."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from core.services import api_tokens


class NewTokenForm(FlaskForm):
    """An owner makes a token; core refuses an empty or odd name, an unknown scope."""

    name = StringField(
        "Name",
        validators=[Length(max=api_tokens.NAME_MAX)],
        description="What uses it, e.g. CRM sync.",
    )
    scope = SelectField(
        "Scope",
        choices=[
            SelectChoice("read", "Read: campaigns, messages, fans, events"),
            SelectChoice("write", "Write: also create, change, schedule, cancel, close"),
        ],
        default="read",
        validate_choice=False,
    )


class RevokeForm(FlaskForm):
    """A revoke button: only its CSRF token."""
