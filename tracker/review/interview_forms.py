"""The interview form: a day and a time in the organisation's time zone, and the details."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.review.interviews import DURATION_MAX, DURATION_MIN


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class InterviewForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired(_l("Give the day of the interview."))])
    time = TimeField(_l("Time"), validators=[DataRequired(_l("Give the time it starts."))])
    duration = IntegerField(
        _l("Duration (minutes)"), default=45,
        validators=[DataRequired(_l("Give the duration in minutes.")),
                    NumberRange(DURATION_MIN, DURATION_MAX,
                                _l("Between %(min)s and %(max)s minutes."))],
    )
    place = TextAreaField(_l("Place"), validators=[Optional(), Length(max=1000)],
                          render_kw={"rows": 2})
    video_url = StringField(
        _l("Video call link"),
        validators=[Optional(), Length(max=500),
                    URL(require_tld=False, message=_l("Give a full link, starting with "
                                                      "https://."))],
    )
    note = TextAreaField(_l("Note for the candidate"), validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 3})
    participants = CheckboxesField(_l("Reviewers taking part"), coerce=int, choices=[])


class CancelForm(FlaskForm):
    """The cancel button: the CSRF token only."""
