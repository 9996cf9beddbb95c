"""The offer form: every field of a posting, grouped the way an offer reads."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from tracker.accounts.models import User
from tracker.postings.display import (
    CONTACT_ROLE_LABELS,
    CONTRACT_LABELS,
    PAY_BASIS_LABELS,
    PAY_PERIOD_LABELS,
    REMOTE_LABELS,
    WORKING_TIME_LABELS,
    deadline_from_local,
)
from tracker.postings.models import (
    ContactRole,
    PayKind,
    Posting,
    PostingStatus,
    RemoteWork,
    WorkingTime,
)
from tracker.postings.services import ContactInput

CONTACT_ROWS = 6
LONG_TEXT = 20_000

# One label per posting field: the form shows them, the audit trail names edited fields with them.
LABELS = {
    "title": _l("Title"),
    "reference": _l("Reference"),
    "contract_type": _l("Type of contract"),
    "presentation": _l("Presentation of the organisation"),
    "context": _l("Context"),
    "missions": _l("Missions"),
    "profile": _l("Profile"),
    "diploma": _l("Diploma required"),
    "experience": _l("Experience required"),
    "contract_start": _l("Contract start"),
    "contract_end": _l("Contract end"),
    "duration_min_months": _l("Shortest duration (months)"),
    "duration_max_months": _l("Longest duration (months)"),
    "start_earliest": _l("Start at the earliest on"),
    "start_latest": _l("Start at the latest on"),
    "closure_note": _l("Closure periods"),
    "working_time": _l("Working time"),
    "hours_per_week": _l("Hours a week"),
    "schedule_note": _l("Schedule"),
    "city": _l("City"),
    "postal_code": _l("Postal code"),
    "region": _l("Region"),
    "places": _l("Places of work"),
    "travel": _l("Travel"),
    "remote": _l("Remote work"),
    "remote_note": _l("Remote work details"),
    "pay_kind": _l("Kind of pay"),
    "pay_min": _l("Pay from"),
    "pay_max": _l("Pay up to"),
    "pay_period": _l("Pay period"),
    "pay_basis": _l("Gross or net"),
    "pay_note": _l("Pay details"),
    "benefits": _l("Benefits"),
    "collective_agreement": _l("Collective agreement"),
    "asks_cv": _l("Ask for a CV"),
    "asks_letter": _l("Ask for a cover letter"),
    "other_documents": _l("Other documents asked for"),
    "deadline": _l("Deadline"),
    "deadline_date": _l("Deadline (last day)"),
    "deadline_time": _l("Deadline time"),
    "deadline_end_of_day": _l("Deadline"),
    "subject_line": _l("Required email subject line"),
    "accepts_email": _l("Accept applications by email"),
    "answer_promise": _l("Promise an answer to every candidate"),
    "source_url": _l("Source address (URL)"),
    "contacts": _l("Contacts"),
}

# Posting columns the form edits one to one (same name, same value).
DIRECT_FIELDS = (
    "title", "reference", "contract_type", "presentation", "context", "missions", "profile",
    "diploma", "experience", "contract_start", "contract_end", "duration_min_months",
    "duration_max_months", "start_earliest", "start_latest", "closure_note", "working_time",
    "hours_per_week", "schedule_note", "city", "postal_code", "region", "places", "travel",
    "remote", "remote_note", "pay_kind", "pay_min", "pay_max", "pay_note", "benefits",
    "collective_agreement", "asks_cv", "asks_letter", "other_documents", "subject_line",
    "accepts_email", "answer_promise", "source_url",
)
# Optional choices stored as NULL when not chosen.
NULLABLE_CHOICES = ("pay_period", "pay_basis")

PAY_KIND_LABELS = {
    PayKind.UNSPECIFIED: _l("Not stated (or only in the details)"),
    PayKind.AMOUNT: _l("An amount or a range"),
    PayKind.GRATIFICATION: _l("Statutory pay (gratification)"),
}

INVALID_CHOICE = _l("Choose one of the options in the list.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _clean_text(value):
    """Trimmed, with the CRLF line ends browsers send for text areas made plain LF."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _choices(labels: dict, blank: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice("", blank)] if blank is not None else []
    return choices + [SelectChoice(key.value, label) for key, label in labels.items()]


class AmountField(DecimalField):
    """A number typed the French way or the English way: "1 800,50", "1800.50", "35"."""

    widget = TextInput()
    LIMIT = Decimal(10) ** 7

    def __init__(self, label=None, validators=None, *, places: int = 2, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, places=places, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = re.sub(r"[\s\u00a0\u202f€]", "", valuelist[0]).replace(",", ".")
        if not text:
            self.data = None
            return
        try:
            value = Decimal(text)
            if not value.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError) as exc:
            self.data = None
            raise ValueError(_l("Type a number, for example 1800 or 35,5.")) from exc
        if abs(value) >= self.LIMIT:
            # Beyond what the columns hold (and what any pay or hours could be).
            self.data = None
            raise ValueError(_l("This number is too large."))
        self.data = value.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        # 1800.00 -> "1800", 35.5 -> "35.5": what a person would have typed.
        text = f"{Decimal(self.data):f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


class ClockField(TimeField):
    """A time of day, "12:00"; seconds shown only when a stored value has some."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%H:%M", "%H:%M:%S"], **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if self.data is None:
            return ""
        return self.data.strftime("%H:%M:%S" if self.data.second else "%H:%M")


class WholeNumberField(IntegerField):
    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", _l("Type a whole number, for example 6."))
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(label, validators, **kwargs)


def _date(label):
    return DateField(label, validators=[Optional()],
                     invalid_value_message=_l("Type a date, for example 2024-03-20."))


def _text(label, max_length=LONG_TEXT, rows=None):
    render_kw = {"rows": rows} if rows else None
    return TextAreaField(label, filters=[_clean_text], validators=[Length(max=max_length)],
                         render_kw=render_kw)


def _line(label, max_length):
    return StringField(label, filters=[_strip], validators=[Length(max=max_length)])


def _select(label, choices, **kwargs):
    return SelectField(label, choices=choices, invalid_choice_message=INVALID_CHOICE, **kwargs)


class ContactForm(FlaskForm):
    """One person named on the offer: a member of the organisation or someone outside it."""

    class Meta:
        csrf = False

    user_id = _select(_l("Member"), [], default="")
    name = _line(_l("Name, if not a member"), 200)
    email = StringField(
        _l("Email, if not a member"),
        filters=[_strip],
        validators=[Optional(), Length(max=254),
                    Email(message=_l("Type a valid email address, like name@example.org."))],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    job_title = _line(_l("Job title"), 200)
    role = _select(_l("Role"), _choices(CONTACT_ROLE_LABELS), default=ContactRole.TO.value)

    def is_empty(self) -> bool:
        return not (self.user_id.data or self.name.data or self.email.data or self.job_title.data)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.is_empty() or self.user_id.errors or self.email.errors:
            return ok
        if self.user_id.data and (self.name.data or self.email.data):
            self.user_id.errors.append(
                _l("Choose a member or type an outside person's name and email, not both.")
            )
            return False
        if not self.user_id.data and not self.email.data:
            self.email.errors.append(_l("Choose a member or give this person's email."))
            return False
        return ok


class PostingForm(FlaskForm):
    """Every field of an offer. Build it with ``PostingForm.for_posting(...)``."""

    # The offer
    title = StringField(LABELS["title"], filters=[_strip], validators=[
        DataRequired(_l("Give the offer a title.")), Length(max=200)])
    reference = _line(LABELS["reference"], 60)
    contract_type = _select(LABELS["contract_type"],
                            _choices(CONTRACT_LABELS, blank=_l("Choose…")), default="",
                            validators=[DataRequired(_l("Choose the type of contract."))])
    presentation = _text(LABELS["presentation"], rows=5)
    context = _text(LABELS["context"], rows=6)
    missions = _text(LABELS["missions"], rows=12)
    profile = _text(LABELS["profile"], rows=10)
    diploma = _text(LABELS["diploma"], rows=2)
    experience = _text(LABELS["experience"], rows=2)

    # Dates
    contract_start = _date(LABELS["contract_start"])
    contract_end = _date(LABELS["contract_end"])
    duration_min_months = WholeNumberField(
        LABELS["duration_min_months"],
        validators=[Optional(), NumberRange(1, 120, _l("Between 1 and 120 months."))],
    )
    duration_max_months = WholeNumberField(
        LABELS["duration_max_months"],
        validators=[Optional(), NumberRange(1, 120, _l("Between 1 and 120 months."))],
    )
    start_earliest = _date(LABELS["start_earliest"])
    start_latest = _date(LABELS["start_latest"])
    closure_note = _text(LABELS["closure_note"], rows=2)

    # Working time
    working_time = _select(LABELS["working_time"], _choices(WORKING_TIME_LABELS),
                           default=WorkingTime.FULL_TIME.value)
    hours_per_week = AmountField(
        LABELS["hours_per_week"], places=1,
        validators=[Optional(), NumberRange(1, 60, _l("Between 1 and 60 hours a week."))],
    )
    schedule_note = _text(LABELS["schedule_note"], rows=2)

    # Place
    city = _line(LABELS["city"], 120)
    postal_code = _line(LABELS["postal_code"], 20)
    region = _line(LABELS["region"], 120)
    places = _text(LABELS["places"], rows=2)
    travel = _text(LABELS["travel"], rows=2)
    remote = _select(LABELS["remote"], _choices(REMOTE_LABELS), default=RemoteWork.NONE.value)
    remote_note = _text(LABELS["remote_note"], rows=2)

    # Pay and conditions
    pay_kind = _select(LABELS["pay_kind"], _choices(PAY_KIND_LABELS),
                       default=PayKind.UNSPECIFIED.value)
    pay_min = AmountField(
        LABELS["pay_min"],
        validators=[Optional(), NumberRange(0, 9_999_999, _l("Type an amount in euros."))],
    )
    pay_max = AmountField(
        LABELS["pay_max"],
        validators=[Optional(), NumberRange(0, 9_999_999, _l("Type an amount in euros."))],
    )
    pay_period = _select(LABELS["pay_period"], _choices(PAY_PERIOD_LABELS, blank="—"), default="")
    pay_basis = _select(LABELS["pay_basis"], _choices(PAY_BASIS_LABELS, blank="—"), default="")
    pay_note = _text(LABELS["pay_note"], rows=2)
    benefits = _text(LABELS["benefits"], rows=2)
    collective_agreement = _line(LABELS["collective_agreement"], 200)

    # How to apply
    asks_cv = BooleanField(LABELS["asks_cv"], default=True)
    asks_letter = BooleanField(LABELS["asks_letter"], default=True)
    other_documents = _text(LABELS["other_documents"], rows=2)
    deadline_date = _date(LABELS["deadline_date"])
    deadline_time = ClockField(
        LABELS["deadline_time"], validators=[Optional()],
        invalid_value_message=_l("Type a time, for example 12:00."),
    )
    subject_line = _line(LABELS["subject_line"], 200)
    accepts_email = BooleanField(LABELS["accepts_email"], default=True)
    answer_promise = BooleanField(LABELS["answer_promise"], default=True)
    source_url = StringField(
        LABELS["source_url"], filters=[_strip], validators=[Length(max=500)],
        render_kw={"type": "url", "inputmode": "url"},
    )

    contacts = FieldList(FormField(ContactForm), min_entries=CONTACT_ROWS,
                         max_entries=CONTACT_ROWS)

    def __init__(self, *args, members: list[User] = (), former_members: list[User] = (),
                 timezone: str = "Europe/Paris", status: str = PostingStatus.DRAFT, **kwargs):
        """``former_members``: users named on the offer who have left the organisation since;
        they stay choosable so that saving the offer does not drop them."""
        super().__init__(*args, **kwargs)
        self.timezone = timezone
        self.status = PostingStatus(status)
        choices = [SelectChoice("", _l("— Outside person —"))]
        choices += [SelectChoice(str(u.id), u.display_name) for u in members]
        choices += [
            SelectChoice(str(u.id), _("%(name)s (former member)", name=u.display_name))
            for u in former_members
        ]
        for entry in self.contacts:
            entry.form.user_id.choices = list(choices)

    # --- Building and reading back -------------------------------------------------------

    @classmethod
    def for_posting(cls, posting: Posting | None, *, members: list[User], timezone: str,
                    **kwargs) -> PostingForm:
        """The form for a new offer (``posting`` None) or filled with a stored one."""
        if posting is None:
            return cls(members=members, timezone=timezone, **kwargs)
        member_ids = {u.id for u in members}
        former = {c.user.id: c.user for c in posting.contacts
                  if c.user is not None and c.user.id not in member_ids}
        return cls(members=members, former_members=list(former.values()), timezone=timezone,
                   status=posting.status, data=initial_data(posting, timezone), **kwargs)

    def posting_fields(self) -> dict:
        """The posting's column values from the (validated) form."""
        fields = {name: self[name].data for name in DIRECT_FIELDS}
        for name in NULLABLE_CHOICES:
            fields[name] = self[name].data or None
        day, at = self.deadline_date.data, self.deadline_time.data
        if day is None:
            fields["deadline"] = None
            fields["deadline_end_of_day"] = True
        else:
            fields["deadline"] = deadline_from_local(day, at, self.timezone)
            fields["deadline_end_of_day"] = at is None
        return fields

    def contact_rows(self) -> list[ContactInput]:
        rows = []
        for entry in self.contacts:
            sub = entry.form
            if sub.is_empty():
                continue
            user_id = int(sub.user_id.data) if sub.user_id.data else None
            rows.append(ContactInput(
                user_id=user_id,
                name="" if user_id else sub.name.data,
                email="" if user_id else sub.email.data,
                job_title=sub.job_title.data,
                role=sub.role.data,
            ))
        return rows

    @property
    def errors(self):
        """Errors by field, contact rows flattened into readable sentences for the summary."""
        errors = dict(super().errors)
        if "contacts" in errors:
            messages = []
            for number, entry in enumerate(self.contacts, start=1):
                for name, field_errors in entry.form.errors.items():
                    label = entry.form[name].label.text
                    messages.append(_("Contact %(number)s, %(field)s: %(errors)s",
                                      number=number, field=label,
                                      errors=" ".join(str(e) for e in field_errors)))
            errors["contacts"] = messages
        return errors

    # --- Rules between fields --------------------------------------------------------------

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for field, message in self._cross_field_problems():
            if not field.errors:
                field.errors.append(message)
            ok = False
        return ok

    def _cross_field_problems(self):
        if self.source_url.data and not re.match(r"^https?://[^\s/]+\.[^\s]+$",
                                                 self.source_url.data):
            yield self.source_url, _l("Type a full web address starting with https://.")

        yield from self._range(self.pay_min, self.pay_max,
                               _l("The highest pay cannot be below the lowest."))
        yield from self._range(self.duration_min_months, self.duration_max_months,
                               _l("The longest duration cannot be shorter than the shortest."))
        yield from self._range(self.contract_start, self.contract_end,
                               _l("The contract cannot end before it starts."))
        yield from self._range(self.start_earliest, self.start_latest,
                               _l("The latest start cannot come before the earliest."))

        if self.pay_kind.data == PayKind.AMOUNT:
            if self.pay_min.data is None and self.pay_max.data is None and not (
                self.pay_min.errors or self.pay_max.errors
            ):
                yield self.pay_min, _l("Give an amount (from, up to, or both).")
        elif not self.pay_kind.errors:
            for field in (self.pay_min, self.pay_max, self.pay_period, self.pay_basis):
                if field.data not in (None, "") and not field.errors:
                    yield field, _l("Only for a pay given as an amount: choose “An amount or "
                                    "a range” as the kind of pay, or leave this empty.")

        if self.deadline_time.data is not None and self.deadline_date.data is None:
            yield self.deadline_date, _l("Give the day of the deadline as well as the time.")
        if (self.deadline_date.data is None and not self.deadline_date.errors
                and self.status != PostingStatus.DRAFT):
            yield self.deadline_date, _l("An offer that has been published keeps a deadline.")

        if self.accepts_email.data:
            rows = self.contact_rows() if not self._contacts_have_errors() else None
            if rows is not None and not any(r.role == ContactRole.TO for r in rows):
                yield self.accepts_email, _l(
                    "Name at least one contact with the role “Send applications to”, or untick "
                    "this box."
                )

    def _contacts_have_errors(self) -> bool:
        return any(entry.form.errors for entry in self.contacts)

    @staticmethod
    def _range(low, high, message):
        if low.errors or high.errors:
            return
        if low.data is not None and high.data is not None and high.data < low.data:
            yield high, message


def initial_data(posting: Posting, timezone: str) -> dict:
    """What the form shows for a stored offer: the inverse of ``PostingForm.posting_fields``."""
    data = {name: getattr(posting, name) for name in DIRECT_FIELDS}
    for name in NULLABLE_CHOICES:
        data[name] = getattr(posting, name) or ""
    data["deadline_date"] = None
    data["deadline_time"] = None
    if posting.deadline is not None:
        local: datetime = posting.deadline.astimezone(ZoneInfo(timezone))
        data["deadline_date"] = local.date()
        if not posting.deadline_end_of_day:
            data["deadline_time"] = local.time().replace(tzinfo=None)
    data["contacts"] = [
        {
            "user_id": str(c.user_id) if c.user_id else "",
            "name": "" if c.user_id else c.name,
            "email": "" if c.user_id else c.email,
            "job_title": c.job_title,
            "role": c.role,
        }
        for c in posting.contacts
    ]
    return data


def deadline_is_past(fields: dict, now: datetime) -> bool:
    return fields.get("deadline") is not None and fields["deadline"] <= now

