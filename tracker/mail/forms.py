"""Forms of the mail back office: an organisation's email templates."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from tracker.mail.templates import (
    BODY_MAX_LENGTH,
    KINDS,
    SUBJECT_MAX_LENGTH,
    TemplateProblem,
    check_template,
)


# Control characters have no place in an email (PostgreSQL refuses NUL outright); a subject is
# one line, so line breaks there become spaces (no header injection either).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _strip(value):
    if not isinstance(value, str):
        return value
    return _CONTROLS.sub("", re.sub(r"[\r\n]+", " ", value)).strip()


def _normalise_body(value):
    if not isinstance(value, str):
        return value
    return _CONTROLS.sub("", value.replace("\r\n", "\n")).strip("\n")


class TemplateForm(FlaskForm):
    """One kind of email in one language: subject and body, checked by rendering them."""

    subject = StringField(
        _l("Subject"),
        filters=[_strip],
        validators=[Length(max=SUBJECT_MAX_LENGTH,
                           message=_l("The subject has at most %(max)d characters.",
                                      max=SUBJECT_MAX_LENGTH))],
        render_kw={"spellcheck": "true"},
    )
    body = TextAreaField(
        _l("Text of the email"),
        filters=[_normalise_body],
        validators=[
            InputRequired(_l("Write the text of the email.")),
            Length(max=BODY_MAX_LENGTH, message=_l("The text has at most %(max)d characters.",
                                                   max=BODY_MAX_LENGTH)),
        ],
        render_kw={"rows": 24, "spellcheck": "true"},
    )
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))

    def __init__(self, *args, kind: str, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.locale = locale
        self.subject_is_fixed = KINDS[kind].fixed_subject is not None
        if self.subject_is_fixed:
            self.subject.validators = [Optional()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.subject_is_fixed and not self.subject.data:
            self.subject.errors.append(_l("Write the subject of the email."))
            valid = False
        if not valid:
            return False
        try:
            check_template(self.kind, self.locale, self.subject.data or "", self.body.data)
        except TemplateProblem as problem:
            self[problem.field].errors.append(str(problem))
            return False
        return True


class ResetTemplateForm(FlaskForm):
    """The "back to the default" button: only a CSRF token."""

    submit = SubmitField(_l("Go back to the default text"))
