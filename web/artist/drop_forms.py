"""The drop page's form: which market to mark live (checked again by core.services.drop_mark)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional


class MarkLiveForm(FlaskForm):
    """A market code, or blank for every market still waiting. The GET form on the drop page
    asks for a confirmation (no token needed to read); the confirmation posts with its token."""

    market = StringField(
        "Market",
        validators=[Optional(), Length(max=3, message="Two letters, such as FR.")],
        description="Two letters, such as FR. Leave empty for all markets still waiting.",
    )
