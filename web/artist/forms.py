"""The artist app's forms (Flask-WTF: every form carries the session's CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.validators import ValidationError as FieldError

from core.services import accounts
from core.validation import ValidationError

PASSWORD_RULE = f"{accounts.PASSWORD_MIN} to {accounts.PASSWORD_MAX} characters."


def valid_email(_form: FlaskForm, field: Field) -> None:
    """The address core accepts (one @, a domain with a dot)."""
    try:
        accounts.clean_email(field.data)
    except ValidationError:
        raise FieldError("Enter an email address such as name@example.com.") from None


def new_password() -> PasswordField:
    """A password field with the policy's length."""
    return PasswordField(
        "New password",
        validators=[
            DataRequired("Enter a password."),
            Length(accounts.PASSWORD_MIN, accounts.PASSWORD_MAX, "Use " + PASSWORD_RULE),
        ],
        description="At least " + PASSWORD_RULE.replace(" to ", ", at most ", 1),
    )


class SignInForm(FlaskForm):
    """Email and password."""

    email = StringField("Email", validators=[DataRequired("Enter your email."), valid_email])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])


class ForgotForm(FlaskForm):
    """The address to send a password reset link to."""

    email = StringField("Email", validators=[DataRequired("Enter your email."), valid_email])


class SetPasswordForm(FlaskForm):
    """A new password, typed twice (one-time sign-in and reset links)."""

    password = new_password()
    confirm = PasswordField(
        "Type it again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", "The two passwords differ."),
        ],
    )


class AcceptInviteForm(FlaskForm):
    """Join a team: your email and a password (your existing one if you have an account)."""

    email = StringField("Email", validators=[DataRequired("Enter your email."), valid_email])
    password = new_password()


class InviteForm(FlaskForm):
    """An owner makes an invite link."""

    role = SelectField(
        "Role",
        choices=[SelectChoice("member", "Member"), SelectChoice("owner", "Owner (may invite)")],
        default="member",
    )


class SwitchTeamForm(FlaskForm):
    """Work in another of your teams."""

    team_id = HiddenField(validators=[DataRequired()])


class PostForm(FlaskForm):
    """A button-only form (sign out): only its CSRF token."""
