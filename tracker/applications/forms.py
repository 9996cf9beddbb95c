"""The public application form.

The field names are a public interface: integrations post to them. Keep them stable:
first_name, last_name, email, phone, cv, letter, letter_text, message, consent, keep_consent.
``website`` is a honeypot: hidden from people, filled by robots.
"""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from tracker.applications.documents import CheckedFile, DocumentError, check_upload
from tracker.applications.services import size_text
from tracker.postings.models import Posting

NAME_MAX = 100
EMAIL_MAX = 254
PHONE_MAX = 40
MESSAGE_MAX = 5_000
LETTER_MAX = 20_000
DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
# The file picker offers these (phones use the media types, desktops the extensions); the
# server decides by content (tracker.applications.documents), whatever the name says.
ACCEPT = ",".join((
    ".pdf", ".docx", ".odt",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
))
PHONE_RE = re.compile(r"^\+?[0-9 ().\-/]+$")
HONEYPOT = "website"


# Characters nobody types on purpose: control characters (NUL breaks PostgreSQL text), bidi
# overrides (they can make "Léa" read as another name in a subject line), noncharacters.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufff9-\uffff]"
)


def _line(value):
    """One line of text: invisible characters out, runs of spaces (and newlines) made one."""
    if not isinstance(value, str):
        return value
    return " ".join(_INVISIBLE.sub("", value).split())


def _text(value):
    """Several lines: invisible characters out, Windows line ends made plain, ends trimmed."""
    if not isinstance(value, str):
        return value
    return _INVISIBLE.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def upload_max_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


def _chosen(upload) -> bool:
    return upload is not None and bool(getattr(upload, "filename", None))


def _ascii_local_part(form, field) -> None:
    """Accented letters before the @ are valid (SMTPUTF8) but many mail servers refuse them,
    and the acknowledgement would never arrive: ask for the usual form of the address."""
    local = (field.data or "").rpartition("@")[0]
    if local and not local.isascii():
        raise ValidationError(
            _("Use your address without accents before the @ (for example lea.martin@…).")
        )


class ApplicationForm(FlaskForm):
    first_name = StringField(
        _l("First name"),
        filters=[_line],
        validators=[
            DataRequired(_l("Enter your first name.")),
            Length(max=NAME_MAX, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "given-name", "maxlength": NAME_MAX},
    )
    last_name = StringField(
        _l("Last name"),
        filters=[_line],
        validators=[
            DataRequired(_l("Enter your last name.")),
            Length(max=NAME_MAX, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "family-name", "maxlength": NAME_MAX},
    )
    email = EmailField(
        _l("Email address"),
        filters=[_line],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=EMAIL_MAX, message=_l("At most %(max)d characters.")),
            Email(_l("Enter an email address like name@example.org."),
                  check_deliverability=False),
            _ascii_local_part,
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "off"},
    )
    phone = TelField(
        _l("Phone (optional)"),
        filters=[_line],
        validators=[
            Optional(),
            Length(max=PHONE_MAX, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "tel", "maxlength": PHONE_MAX},
    )
    cv = FileField(_l("CV"), render_kw={"accept": ACCEPT})
    letter = FileField(_l("Cover letter (file)"), render_kw={"accept": ACCEPT})
    letter_text = TextAreaField(
        _l("Or type your cover letter"),
        filters=[_text],
        validators=[Length(max=LETTER_MAX, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 8},
    )
    message = TextAreaField(
        _l("Message to the recruiters (optional)"),
        filters=[_text],
        validators=[Length(max=MESSAGE_MAX, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 4},
    )
    consent = BooleanField(
        _l("I agree to the processing of my data for this application."),
        validators=[DataRequired(_l("Your application can only be sent with your agreement "
                                    "to the processing of your data."))],
    )
    keep_consent = BooleanField(_l("You may contact me about your future offers (optional)."))
    # The honeypot: hidden from people (CSS, aria-hidden, out of the tab order), not from robots.
    website = StringField(
        _l("Leave this field empty"),
        render_kw={"tabindex": "-1", "autocomplete": "off"},
    )

    def __init__(self, *args, posting: Posting, **kwargs):
        super().__init__(*args, **kwargs)
        self.posting = posting
        organisation = posting.organisation
        self.consent.label.text = _(
            "I agree to the processing of my data for this application, kept for %(months)s "
            "months after my last contact.",
            months=organisation.retention_months,
        )
        self.keep_consent.label.text = _(
            "%(organisation)s may keep my application and contact me about its future offers "
            "(optional).",
            organisation=organisation.name,
        )
        if posting.asks_letter:
            self.letter.label.text = _("Cover letter (file)")
        else:
            self.letter.label.text = _("Cover letter (file, optional)")
        self.cv.flags.required = True
        # Filled by validation: the accepted files.
        self.checked_cv: CheckedFile | None = None
        self.checked_letter: CheckedFile | None = None

    @property
    def honeypot_filled(self) -> bool:
        return bool((self.website.data or "").strip())

    def clear_honeypot(self) -> None:
        self.website.data = ""

    def validate_phone(self, field) -> None:
        value = field.data or ""
        digits = sum(c.isdigit() for c in value)
        if not PHONE_RE.match(value) or digits < 6 or digits > 20:
            raise ValidationError(
                _l("Enter a phone number, like 06 12 34 56 78 or +33 6 12 34 56 78.")
            )

    def _check(self, upload) -> CheckedFile:
        limit = upload_max_bytes()
        content = upload.stream.read(limit + 1)
        try:
            return check_upload(upload.filename, content, max_bytes=limit)
        except DocumentError as error:
            raise ValidationError(str(error)) from None

    def validate_cv(self, field) -> None:
        if not _chosen(field.data):
            raise ValidationError(_l("Choose your CV file."))
        self.checked_cv = self._check(field.data)

    def validate_letter(self, field) -> None:
        if _chosen(field.data):
            self.checked_letter = self._check(field.data)
        elif self.posting.asks_letter and not (self.letter_text.data or "").strip():
            raise ValidationError(
                _l("Add your cover letter: a file, or typed in the box below.")
            )


__all__ = ["ACCEPT", "HONEYPOT", "ApplicationForm", "size_text", "upload_max_bytes"]
