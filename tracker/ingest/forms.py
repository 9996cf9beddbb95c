"""Forms of the triage pages: attach a mail to an offer, set it aside, try it again."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from tracker.ingest.services import SET_ASIDE_REASON_MAX

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(value):
    """No control characters (PostgreSQL refuses NUL), one line, no outer spaces."""
    if not isinstance(value, str):
        return value
    return " ".join(_CONTROLS.sub("", value).split())


def _posting_id(value):
    """The chosen offer's id; anything that is not a number is no choice at all."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AttachForm(FlaskForm):
    """Choose the offer the mail is an application for (offers of the organisation)."""

    posting_id = SelectField(
        _l("Offer"), coerce=_posting_id,
        validators=[InputRequired(_l("Choose the offer this email applies to."))],
        validate_choice=False,  # checked in pre_validate, with our own message
    )
    attach = SubmitField(_l("Make the application"))

    def __init__(self, *args, choices: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.posting_id.choices = [("", _l("Choose an offer…")), *choices]
        self._allowed = {value for value, _label in choices}

    def validate_posting_id(self, field) -> None:
        if field.data not in self._allowed:
            raise ValidationError(_l("Choose one of the organisation's offers."))


class SetAsideForm(FlaskForm):
    """Not an application: the reason is required and stays with the mail."""

    reason = TextAreaField(
        _l("Why is it not an application?"), filters=[_clean],
        validators=[
            DataRequired(_l("Say why this email is set aside.")),
            Length(max=SET_ASIDE_REASON_MAX,
                   message=_l("At most %(max)d characters.", max=SET_ASIDE_REASON_MAX)),
        ],
        render_kw={"rows": 3, "maxlength": SET_ASIDE_REASON_MAX},
    )
    set_aside = SubmitField(_l("Set it aside"))


class RetryForm(FlaskForm):
    """Process the stored mail again (after a failure, or once an offer's line was fixed)."""

    retry = SubmitField(_l("Try again"))
