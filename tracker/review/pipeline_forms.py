"""Forms of the pipeline: moving applications (one or many), editing the stages."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from tracker.review.models import Stage
from tracker.review.stages import REJECTION_REASONS

NAME_MAX = 80  # Stage.name
ID_MAX = 2**31 - 1  # ids are 32-bit integers: larger numbers are refused before any query

# Control characters have no place in a stage name (PostgreSQL refuses NUL outright).
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_name(value):
    if not isinstance(value, str):
        return value
    return re.sub(r"\s+", " ", _CONTROLS.sub(" ", value)).strip()


def reason_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Choose a reason…"))] + [
        SelectChoice(key, label) for key, label in REJECTION_REASONS.items()]


def email_choices(kinds: list[tuple[str, str]], current: str = "") -> list[SelectChoice]:
    """The select of the email queued on entering a stage; keeps a stage's current value even
    when its template kind is no longer known (so that saving does not drop it silently)."""
    choices = [SelectChoice("", _l("No email"))] + [SelectChoice(k, label) for k, label in kinds]
    if current and current not in {kind for kind, _label in kinds}:
        choices.append(SelectChoice(current, current))
    return choices


class MoveForm(FlaskForm):
    """Move one application: the target stage, and the reason for "not retained"."""

    stage_id = IntegerField(
        _l("Move to"),
        validators=[InputRequired(_l("Choose a stage.")),
                    NumberRange(min=1, max=ID_MAX, message=_l("Choose a stage."))],
    )
    reason = SelectField(_l("Reason"), choices=reason_choices, default="")


class BulkMoveForm(MoveForm):
    """Move the applications ticked in an offer's list."""

    application_ids = SelectMultipleField(coerce=int, validate_choice=False)
    next = HiddenField()

    def selected_ids(self) -> list[int]:
        return [i for i in (self.application_ids.data or []) if 1 <= i <= ID_MAX]


class AddStageForm(FlaskForm):
    name = StringField(
        _l("Name of the new stage"),
        filters=[clean_name],
        validators=[DataRequired(_l("Give the new stage a name.")),
                    Length(max=NAME_MAX, message=_l("A stage name has at most %(max)d "
                                                    "characters.", max=NAME_MAX))],
    )
    email_kind = SelectField(_l("Email queued as a draft on entry"), default="")


class ReorderForm(FlaskForm):
    direction = SelectField(choices=[SelectChoice("up", _l("Up")),
                                     SelectChoice("down", _l("Down"))],
                            validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """A button: only the CSRF token."""


def pipeline_form(stages: list[Stage], kinds: list[tuple[str, str]], **kwargs) -> FlaskForm:
    """One form for every stage: its name (``name_<id>``) and its email (``email_<id>``)."""

    class PipelineForm(FlaskForm):
        def changes(self) -> dict[int, tuple[str, str]]:
            return {s.id: (self[f"name_{s.id}"].data, self[f"email_{s.id}"].data)
                    for s in stages}

    for stage in stages:
        setattr(PipelineForm, f"name_{stage.id}", StringField(
            _l("Name"), default=stage.name, filters=[clean_name],
            validators=[DataRequired(_l("Give every stage a name.")),
                        Length(max=NAME_MAX, message=_l("A stage name has at most %(max)d "
                                                        "characters.", max=NAME_MAX))],
        ))
        setattr(PipelineForm, f"email_{stage.id}", SelectField(
            _l("Email on entry"), default=stage.email_kind,
            choices=email_choices(kinds, stage.email_kind),
        ))
    return PipelineForm(**kwargs)
