"""The organisation's reminder settings form (admins)."""

from __future__ import annotations

import re
from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from tracker.accounts.forms import WholeNumberField
from tracker.i18n.formatting import format_clock
from tracker.reminders.models import ReminderSettings

DEADLINE_DAYS_MAX = 60  # days before the deadline
DEADLINE_DAYS_COUNT = 5  # reminders before the deadline, at most
DAYS_MAX = 365
REVIEWS_MAX = 20
# Numbers of the form: (field, lowest, highest), as the table's CheckConstraints allow.
RANGES = {
    "reviews_after_days": (0, DAYS_MAX),
    "reviews_repeat_days": (1, DAYS_MAX),
    "reviews_max": (1, REVIEWS_MAX),
    "unanswered_after_days": (0, DAYS_MAX),
    "unanswered_repeat_days": (1, DAYS_MAX),
    "start_days": (0, DAYS_MAX),
}
FIELDS = ("send_hour", "deadline_enabled", "deadline_days", "reviews_enabled",
          "reviews_after_days", "reviews_repeat_days", "reviews_max", "unanswered_enabled",
          "unanswered_after_days", "unanswered_repeat_days", "interview_enabled",
          "interview_to_candidate", "start_enabled", "start_days")


def parse_days(text: str | None) -> list[int]:
    """'7, 1' -> [7, 1] (largest first, each once). Raises ValueError with a translated
    message for anything else."""
    parts = [part for part in re.split(r"[\s,;]+", text or "") if part]
    if not all(part.isdigit() and part.isascii() for part in parts):
        raise ValueError(_l("Write whole numbers of days separated by commas, for example "
                            "“7, 1”."))
    days = sorted({int(part) for part in parts}, reverse=True)
    if any(day > DEADLINE_DAYS_MAX for day in days):
        raise ValueError(_l("Each number of days is between 0 and %(max)s.",
                            max=DEADLINE_DAYS_MAX))
    if len(days) > DEADLINE_DAYS_COUNT:
        raise ValueError(_l("At most %(count)s reminders before the deadline.",
                            count=DEADLINE_DAYS_COUNT))
    return days


def days_text(days) -> str:
    return ", ".join(str(day) for day in days or [])


class HourField(SelectField):
    """An hour of the day, 0 to 23; anything else gets the field's own message."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None

    def pre_validate(self, form):
        if self.data not in range(24):
            raise ValidationError(_l("Choose an hour from the list."))


def _number(label, low: int, high: int, message):
    return WholeNumberField(
        label,
        validators=[InputRequired(message), NumberRange(min=low, max=high, message=message)],
        render_kw={"inputmode": "numeric", "min": low, "max": high},
    )


def _days_message(low: int, high: int = DAYS_MAX):
    return _l("Enter a number of days between %(low)s and %(high)s.", low=low, high=high)


class ReminderSettingsForm(FlaskForm):
    send_hour = HourField(_l("Send reminders at"), coerce=int)
    deadline_enabled = BooleanField(_l("Remind before the deadline"))
    deadline_days = StringField(_l("Days before the deadline"),
                                render_kw={"inputmode": "numeric", "maxlength": 40})
    reviews_enabled = BooleanField(_l("Remind reviewers of the applications they still have "
                                      "to review"))
    reviews_after_days = _number(_l("First reminder (days after the closing)"),
                                 *RANGES["reviews_after_days"], _days_message(0))
    reviews_repeat_days = _number(_l("Then every (days)"), *RANGES["reviews_repeat_days"],
                                  _days_message(1))
    reviews_max = _number(_l("At most (reminders)"), *RANGES["reviews_max"],
                          _l("Enter a number of reminders between 1 and %(max)s.",
                             max=REVIEWS_MAX))
    unanswered_enabled = BooleanField(_l("Tell the contacts when candidates still have no "
                                         "answer"))
    unanswered_after_days = _number(_l("First reminder (days after the closing)"),
                                    *RANGES["unanswered_after_days"], _days_message(0))
    unanswered_repeat_days = _number(_l("Then every (days)"), *RANGES["unanswered_repeat_days"],
                                     _days_message(1))
    interview_enabled = BooleanField(_l("Remind the participants the day before an interview"))
    interview_to_candidate = BooleanField(_l("Remind the candidate too"))
    start_enabled = BooleanField(_l("Remind the contacts before a recruited candidate starts"))
    start_days = _number(_l("Days before the start"), *RANGES["start_days"], _days_message(0))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.send_hour.choices = [SelectChoice(hour, format_clock(time(hour)))
                                  for hour in range(24)]
        self.parsed_days: list[int] = []

    @classmethod
    def for_settings(cls, settings: ReminderSettings, **kwargs) -> ReminderSettingsForm:
        data = {name: getattr(settings, name) for name in FIELDS}
        data["deadline_days"] = days_text(settings.deadline_days)
        return cls(data=data, **kwargs)

    def validate_deadline_days(self, field) -> None:
        try:
            self.parsed_days = parse_days(field.data)
        except ValueError as error:
            raise ValidationError(str(error.args[0])) from None
        if self.deadline_enabled.data and not self.parsed_days:
            raise ValidationError(_l("Give at least one number of days, or turn these "
                                     "reminders off."))

    def values(self, current: ReminderSettings) -> dict:
        """The settings as typed; turned-off days left empty keep the current ones."""
        values = {name: getattr(self, name).data for name in FIELDS}
        values["deadline_days"] = self.parsed_days or (
            [] if self.deadline_enabled.data else list(current.deadline_days or []))
        return values
