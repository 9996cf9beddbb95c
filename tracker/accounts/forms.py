"""Forms of the accounts domain: logging in, members, the organisation, passwords.

Every message is a lazy translation; every field says what is wrong with it in words a
person can act on.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from tracker.accounts.models import Role

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200  # hashing a megabyte of "password" is a cheap denial of service

ROLE_CHOICES = [
    SelectChoice(Role.ADMIN.value, _l("Administrator")),
    SelectChoice(Role.LEAD.value, _l("Hiring lead")),
]
LOCALE_CHOICES = [SelectChoice("fr", "Français"), SelectChoice("en", "English")]

# What a logo file must start with, whatever its name says.
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
LOGO_MAX_PIXELS_SIDE = 5000
# CNIL: the data of candidates who were not hired is kept at most two years after the last
# contact, unless they agree to longer.
RETENTION_MIN_MONTHS, RETENTION_MAX_MONTHS = 1, 24


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field(label, **kwargs) -> EmailField:
    return EmailField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter an email address.")),
            Length(max=254, message=_l("An email address has at most 254 characters.")),
            Email(_l("Enter a valid email address, like name@example.org.")),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
        **kwargs,
    )


def _new_password_validators():
    return [
        DataRequired(_l("Choose a new password.")),
        Length(
            min=PASSWORD_MIN_LENGTH,
            max=PASSWORD_MAX_LENGTH,
            message=_l(
                "The password must have between %(min)d and %(max)d characters.",
                min=PASSWORD_MIN_LENGTH,
                max=PASSWORD_MAX_LENGTH,
            ),
        ),
    ]


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("An email address has at most 254 characters.")),
            Email(_l("Enter a valid email address, like name@example.org.")),
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Enter your password.")),
            Length(max=PASSWORD_MAX_LENGTH, message=_l("This password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=_new_password_validators(),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password, again"),
        validators=[
            DataRequired(_l("Type the new password a second time.")),
            EqualTo("new_password", _l("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change my password"))

    def validate_new_password(self, field) -> None:
        if field.data and field.data == self.current_password.data:
            raise ValidationError(_l("The new password must be different from the current one."))


class AddMemberForm(FlaskForm):
    email = _email_field(_l("Email address"))
    name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(_l("Enter the person's name.")),
            Length(max=200, message=_l("A name has at most 200 characters.")),
        ],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(
        _l("Role"),
        choices=ROLE_CHOICES,
        default=Role.LEAD.value,
        validate_choice=False,
        validators=[
            InputRequired(_l("Choose a role.")),
            AnyOf([r.value for r in Role], message=_l("Choose a role from the list.")),
        ],
    )
    submit = SubmitField(_l("Add this member"))


class MemberRoleForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=ROLE_CHOICES,
        validate_choice=False,
        validators=[
            InputRequired(_l("Choose a role.")),
            AnyOf([r.value for r in Role], message=_l("Choose a role from the list.")),
        ],
    )
    submit = SubmitField(_l("Change role"))


class RemoveMemberForm(FlaskForm):
    submit = SubmitField(_l("Remove"))


def _timezone_choices() -> list[SelectChoice]:
    return [SelectChoice(name, name.replace("_", " ")) for name in sorted(available_timezones())]


def normalise_website(value: str | None) -> str | None:
    """'www.example.org' -> 'https://www.example.org'; keeps what already has a scheme."""
    if value is None:
        return None
    value = value.strip()
    if value and "://" not in value and not value.lower().startswith(("mailto:", "javascript:")):
        value = "https://" + value
    return value


class WholeNumberField(IntegerField):
    """An IntegerField that leaves the message to its validators (no "Not a valid integer")."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the organisation's name.")),
            Length(max=200, message=_l("The name has at most 200 characters.")),
        ],
    )
    presentation = TextAreaField(
        _l("Presentation"),
        filters=[_strip],
        validators=[Length(max=20000, message=_l("The presentation is too long."))],
        render_kw={"rows": 8},
    )
    address = TextAreaField(
        _l("Address"),
        filters=[_strip],
        validators=[Length(max=1000, message=_l("The address is too long."))],
        render_kw={"rows": 3, "autocomplete": "street-address"},
    )
    postal_code = StringField(
        _l("Postal code"),
        filters=[_strip],
        validators=[Length(max=20, message=_l("A postal code has at most 20 characters."))],
        render_kw={"autocomplete": "postal-code"},
    )
    city = StringField(
        _l("City"),
        filters=[_strip],
        validators=[Length(max=120, message=_l("A city has at most 120 characters."))],
        render_kw={"autocomplete": "address-level2"},
    )
    website = StringField(
        _l("Website"),
        filters=[normalise_website],
        validators=[
            Optional(),
            Length(max=500, message=_l("A web address has at most 500 characters.")),
        ],
        render_kw={"inputmode": "url", "spellcheck": "false"},
    )
    email = EmailField(
        _l("Contact email"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=254, message=_l("An email address has at most 254 characters.")),
            Email(_l("Enter a valid email address, like contact@example.org.")),
        ],
        render_kw={"spellcheck": "false"},
    )
    timezone = SelectField(
        _l("Time zone"),
        default="Europe/Paris",
        validate_choice=False,
        validators=[InputRequired(_l("Choose a time zone."))],
    )
    locale = SelectField(
        _l("Language of emails and documents"),
        choices=LOCALE_CHOICES,
        default="fr",
        validate_choice=False,
        validators=[
            InputRequired(_l("Choose a language.")),
            AnyOf([choice.value for choice in LOCALE_CHOICES],
                  message=_l("Choose a language from the list.")),
        ],
    )
    logo = FileField(
        _l("Logo"),
        render_kw={"accept": "image/png,image/jpeg"},
    )
    remove_logo = BooleanField(_l("Remove the current logo"))
    # Applications (tracker.mail, tracker.applications).
    attach_documents = BooleanField(
        _l("Attach the CV and cover letter to the email that announces a new application")
    )
    retention_months = WholeNumberField(
        _l("Keep candidates' data for (months)"),
        validators=[
            InputRequired(_l("Enter a number of months between 1 and 24.")),
            NumberRange(min=RETENTION_MIN_MONTHS, max=RETENTION_MAX_MONTHS,
                        message=_l("Enter a number of months between 1 and 24.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1, "max": 24},
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = _timezone_choices()
        # Filled by validate_logo: (bytes, media type) of an accepted upload.
        self.logo_upload: tuple[bytes, str] | None = None

    def validate_website(self, field) -> None:
        parts = urlsplit(field.data)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in field.data:
            raise ValidationError(
                _l("Enter a web address starting with https://, like https://www.example.org.")
            )
        host = parts.hostname or ""
        if "." not in host or not re.fullmatch(r"[A-Za-z0-9.-]+", host):
            raise ValidationError(
                _l("Enter a web address starting with https://, like https://www.example.org.")
            )

    def validate_timezone(self, field) -> None:
        if field.data not in available_timezones():
            raise ValidationError(_l("Choose a time zone from the list."))

    def validate_logo(self, field) -> None:
        upload = field.data
        if upload is None or not getattr(upload, "filename", None):
            return  # no file chosen: keep the current logo
        limit = current_app.config["LOGO_MAX_BYTES"]
        data = upload.stream.read(limit + 1)
        if not data:
            raise ValidationError(_l("The file you chose is empty."))
        if len(data) > limit:
            raise ValidationError(
                _l("The logo is too large: the limit is %(size)s KB.", size=limit // 1024)
            )
        media_type = logo_media_type(data)
        if media_type is None:
            raise ValidationError(
                _l("The logo must be a PNG or JPEG image; this file is of another kind.")
            )
        problem = image_problem(data)
        if problem is not None:
            raise ValidationError(problem)
        self.logo_upload = (data, media_type)


def logo_media_type(data: bytes) -> str | None:
    """The media type a file's first bytes announce: PNG and JPEG only."""
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    return None


def image_problem(data: bytes):
    """None when the image decodes fully; otherwise a message saying what is wrong.

    WeasyPrint sets Pillow's process-wide ``LOAD_TRUNCATED_IMAGES``, so decoding alone does
    not catch a cut-off file: PNG chunks are verified up to IEND, and a JPEG must end with
    its end-of-image marker.
    """
    from PIL import Image, UnidentifiedImageError

    damaged = _l("The logo file is damaged and cannot be read. Export it again and retry.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width > LOGO_MAX_PIXELS_SIDE or height > LOGO_MAX_PIXELS_SIDE:
                return _l(
                    "The logo is too large: at most %(max)d pixels wide and high.",
                    max=LOGO_MAX_PIXELS_SIDE,
                )
            image.verify()  # PNG: every chunk's checksum, up to the end marker
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # decodes every pixel
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return damaged
    if data.startswith(JPEG_MAGIC):
        end = data.rfind(b"\xff\xd9")
        if end == -1 or data[end + 2:].strip(b"\x00\r\n\t ") != b"":
            return damaged
    return None
