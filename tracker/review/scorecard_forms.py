"""Forms of the scorecards: a review, a comment, reviewers, review settings and criteria."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from tracker.review.models import SCORE_MAX, SCORE_MIN, WEIGHT_MAX, WEIGHT_MIN, Recommendation
from tracker.review.scoring import COMMENT_MAX, NAME_MAX, CriterionInput

RECOMMENDATION_LABELS = {
    Recommendation.YES: _l("Yes"),
    Recommendation.MAYBE: _l("Maybe"),
    Recommendation.NO: _l("No"),
}
SCORE_CHOICES = [SelectChoice(str(n), str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]
NOT_SCORED = SelectChoice("", _l("Not scored"))
WEIGHT_MESSAGE = _l("A weight is a whole number from %(low)s to %(high)s.",
                    low=WEIGHT_MIN, high=WEIGHT_MAX)


def _int_or_none(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ReviewForm(FlaskForm):
    """My review: one ``score_<criterion id>`` field per criterion is added by ``for_criteria``."""

    recommendation = RadioField(
        _l("Recommendation"),
        choices=[SelectChoice(r.value, label) for r, label in RECOMMENDATION_LABELS.items()],
        validators=[InputRequired(_l("Choose a recommendation: yes, maybe or no."))],
    )
    comment = TextAreaField(
        _l("Comment"),
        validators=[Optional(), Length(max=COMMENT_MAX)],
    )

    @classmethod
    def for_criteria(cls, criteria, **kwargs) -> ReviewForm:
        """A form class with a radio group per criterion (scores 1..5, or not scored)."""

        class Bound(cls):
            pass

        for criterion in criteria:
            setattr(Bound, f"score_{criterion.id}", RadioField(
                criterion.name, choices=[*SCORE_CHOICES, NOT_SCORED], default="",
                validators=[Optional()],
            ))
        form = Bound(**kwargs)
        form.criteria = list(criteria)
        return form

    def score_field(self, criterion):
        return self[f"score_{criterion.id}"]

    def scores(self) -> dict[int, int | None]:
        return {c.id: _int_or_none(self.score_field(c).data) for c in self.criteria}


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Add a comment"),
        validators=[DataRequired(_l("Write something before adding a comment.")),
                    Length(max=COMMENT_MAX)],
    )


class AddReviewerForm(FlaskForm):
    user_id = SelectField(_l("Member"), coerce=_int_or_none,
                          validators=[InputRequired(_l("Choose a member of the organisation."))])

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = [SelectChoice(u.id, f"{u.display_name} ({u.email})")
                               for u in members]


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (remove, delete, confirm)."""

    confirm = HiddenField()


class CriterionRow(Form):
    """One existing criterion in the settings form (no CSRF of its own: the parent has it)."""

    id = HiddenField()
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Every criterion needs a name.")), Length(max=NAME_MAX)],
    )
    weight = IntegerField(
        _l("Weight"),
        validators=[InputRequired(WEIGHT_MESSAGE),
                    NumberRange(WEIGHT_MIN, WEIGHT_MAX, message=WEIGHT_MESSAGE)],
    )
    rank = IntegerField(_l("Order"), validators=[Optional(), NumberRange(0, 1000)])


class ReviewSettingsForm(FlaskForm):
    anonymised = BooleanField(_l("Anonymised screening"))
    reveal_stage_id = SelectField(_l("Identity revealed from the stage"), coerce=_int_or_none,
                                  validate_choice=True)
    reviews_hidden_until_own = BooleanField(
        _l("Reviewers see the others' reviews only after giving their own"))
    criteria = FieldList(FormField(CriterionRow), min_entries=0, max_entries=50)

    @classmethod
    def for_posting(cls, posting, stages, criteria, reveal_stage, *, formdata=None, **kwargs):
        data = {
            "anonymised": posting.anonymised,
            "reveal_stage_id": reveal_stage.id if reveal_stage is not None else None,
            "reviews_hidden_until_own": posting.reviews_hidden_until_own,
            "criteria": [{"id": str(c.id), "name": c.name, "weight": c.weight,
                          "rank": index + 1} for index, c in enumerate(criteria)],
        }
        if formdata is None:
            form = cls(formdata=None, data=data, **kwargs)
        else:
            form = cls(formdata=formdata, **kwargs)
        form.reveal_stage_id.choices = [SelectChoice(s.id, s.name) for s in stages]
        return form

    def criterion_rows(self) -> list[CriterionInput]:
        rows = []
        for entry in self.criteria.entries:
            criterion_id = _int_or_none(entry.form.id.data)
            if criterion_id is None:
                continue
            rows.append(CriterionInput(id=criterion_id, name=entry.form.name.data or "",
                                       weight=entry.form.weight.data or 0,
                                       rank=entry.form.rank.data))
        return rows


class AddCriterionForm(FlaskForm):
    name = StringField(
        _l("New criterion"),
        validators=[DataRequired(_l("Every criterion needs a name.")), Length(max=NAME_MAX)],
    )
    weight = IntegerField(
        _l("Weight"), default=1,
        validators=[InputRequired(WEIGHT_MESSAGE),
                    NumberRange(WEIGHT_MIN, WEIGHT_MAX, message=WEIGHT_MESSAGE)],
    )
