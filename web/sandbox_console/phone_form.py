"""The phone simulator's text form (its values are checked by core.services.sandbox_phone)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField


class TextForm(FlaskForm):
    """The fan's text: which phone sends it and what it says."""

    number = HiddenField("Phone number")
    text = TextAreaField("Message", description="A keyword, HELP, STOP, or anything else.")
