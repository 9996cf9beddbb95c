"""The notification settings form: one group of radio buttons per kind of notification."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SubmitField
from wtforms.validators import StopValidation

from tracker.reminders.models import NotificationKind, NotificationMode
from tracker.reminders.preferences import MANDATORY, allowed_modes

K, M = NotificationKind, NotificationMode

MODE_LABELS = {
    M.EACH: _l("One email each time"),
    M.DIGEST: _l("In my daily digest"),
    M.NEVER: _l("Never"),
}

# kind -> (title, who gets it and when). The order is the page's.
KIND_TEXTS = {
    K.NEW_APPLICATION: (
        _l("New applications"),
        _l("An email for each application sent to an offer on which you are named as a "
           "recipient or in copy, as soon as it arrives."),
    ),
    K.DEADLINE_APPROACHING: (
        _l("Deadline approaching"),
        _l("To the organisation's administrators and the offer's contacts, a few days before "
           "an offer's deadline (7 days and 1 day before, unless the administrators chose "
           "otherwise), with the number of applications so far."),
    ),
    K.DEADLINE_REACHED: (
        _l("Offer closed at its deadline"),
        _l("To the offer's contacts, when an offer closes itself at its deadline: how many "
           "applications it received, how many are reviewed and how many are not."),
    ),
    K.REVIEWS_PENDING: (
        _l("Applications to review"),
        _l("To each reviewer who still has applications of a closed offer to review: 3 days "
           "after closing, then every week, at most 3 times (unless the administrators chose "
           "otherwise)."),
    ),
    K.UNANSWERED: (
        _l("Candidates without an answer"),
        _l("To the offer's contacts, 14 days after closing, then every week while candidates "
           "are still waiting for an answer (unless the administrators chose otherwise)."),
    ),
    K.INTERVIEW_TOMORROW: (
        _l("Interview tomorrow"),
        _l("The day before an interview you take part in, with its time, place and the link "
           "to the application."),
    ),
    K.START_DATE: (
        _l("A recruit starts soon"),
        _l("To the offer's contacts, a week before a recruited candidate starts, if the "
           "organisation turned this reminder on."),
    ),
}
MANDATORY_NOTE = _l("“Never” is not offered: the contacts of an offer must know that it "
                    "closed and how many applications wait for them.")
CHOICE_REQUIRED = _l("Choose how you want to receive this notification.")
INVALID_CHOICE = _l("Choose one of the options offered.")


class PreferencesForm(FlaskForm):
    """Fields named after the kinds (``new_application``...), added by ``preferences_form``."""

    submit = SubmitField(_l("Save my choices"))

    def kind_fields(self):
        """(kind, field, mandatory) in the page's order."""
        return [(kind, self[kind.value], kind in MANDATORY) for kind in KIND_TEXTS]

    def choices(self) -> dict[NotificationKind, NotificationMode]:
        return {kind: NotificationMode(self[kind.value].data) for kind in KIND_TEXTS}


class ModeField(RadioField):
    """Radio buttons that say in words what is wrong: nothing chosen, or a value not offered."""

    def pre_validate(self, form) -> None:
        if not self.data:
            raise StopValidation(str(CHOICE_REQUIRED))
        if self.data not in {choice.value for choice in self.choices}:
            raise StopValidation(str(INVALID_CHOICE))


def _field(kind: NotificationKind) -> ModeField:
    label, _description = KIND_TEXTS[kind]
    choices = [SelectChoice(mode.value, MODE_LABELS[mode]) for mode in allowed_modes(kind)]
    return ModeField(label, choices=choices)


def preferences_form(current: dict[NotificationKind, NotificationMode],
                     formdata=None) -> PreferencesForm:
    """The form, filled with ``current`` (GET) or with what was posted."""
    form_class = type("UserPreferencesForm", (PreferencesForm,),
                      {kind.value: _field(kind) for kind in KIND_TEXTS})
    defaults = {kind.value: mode.value for kind, mode in current.items()}
    return form_class(formdata=formdata, data=defaults if formdata is None else None)
