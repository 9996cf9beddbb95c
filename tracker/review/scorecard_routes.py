"""Reviewers of an offer, its scorecard and review settings, reviews and comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape

from tracker.accounts.models import Role
from tracker.accounts.rules import org_required
from tracker.applications.models import Application
from tracker.db import db
from tracker.i18n.formatting import format_clock, format_day
from tracker.postings.models import Posting
from tracker.review import scoring
from tracker.review.access import application_or_404, posting_or_404
from tracker.review.anonymity import candidate_label, mask_text
from tracker.review.models import Review
from tracker.review.scorecard_forms import (
    RECOMMENDATION_LABELS,
    AddCriterionForm,
    AddReviewerForm,
    CommentForm,
    ConfirmForm,
    ReviewForm,
    ReviewSettingsForm,
)

bp = Blueprint("scorecards", __name__, url_prefix="/gestion/<org_slug>")

# --- Presentation helpers ------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(g.organisation.timezone))
    return _("%(day)s at %(time)s", day=format_day(local), time=format_clock(local))


def format_score(value) -> str:
    """A score as shown: "3.75" ("3,75" in French), or an empty string."""
    if value is None:
        return ""
    return format_decimal(Decimal(str(value)).quantize(Decimal("0.01")), format="0.00")


def text_html(text: str) -> Markup:
    """Plain text as HTML: escaped, line breaks kept."""
    return Markup("<br>\n").join(escape(line) for line in (text or "").split("\n"))


def _application_url(application: Application, anchor: str | None = None) -> str:
    return url_for("applications_admin.show", org_slug=g.organisation.slug,
                   application_id=application.id, _anchor=anchor)


def _first_error(form: FlaskForm) -> str:
    for errors in form.errors.values():
        for error in errors:
            if isinstance(error, dict):  # a FieldList row: {field: [errors]}
                return next(iter(e for es in error.values() for e in es), "")
            return str(error)
    return ""


# --- The scorecard panel of the application page -------------------------------------------


@dataclass
class OtherReview:
    name: str
    recommendation: str
    recommendation_label: str
    comment_html: Markup
    score: str
    scores: list[tuple[str, int | None]]
    when: str


@dataclass
class ScorecardPanel:
    application: Application
    criteria: list
    form: ReviewForm | None
    mine: Review | None
    refusal: str | None
    hidden: bool
    others: list[OtherReview] = field(default_factory=list)
    count: int = 0
    mean: str = ""
    action: str = ""


def _other_view(review: Review, criteria: list, application: Application) -> OtherReview:
    given = {s.criterion_id: s.score for s in review.scores}
    if review.reviewer is not None:
        name = review.reviewer.display_name
    else:
        name = _("Former member")
    return OtherReview(
        name=name,
        recommendation=review.recommendation,
        recommendation_label=str(RECOMMENDATION_LABELS.get(review.recommendation,
                                                           review.recommendation)),
        comment_html=text_html(mask_text(review.comment, application)),
        score=format_score(review.score),
        scores=[(c.name, given.get(c.id)) for c in criteria],
        when=_when(review.updated_at),
    )


def review_form(criteria: list, mine: Review | None, formdata=None) -> ReviewForm:
    if formdata is not None:
        return ReviewForm.for_criteria(criteria, formdata=formdata)
    data = {}
    if mine is not None:
        given = {s.criterion_id: str(s.score) for s in mine.scores}
        data = {f"score_{c.id}": given.get(c.id, "") for c in criteria}
        data.update(recommendation=mine.recommendation, comment=mine.comment)
    return ReviewForm.for_criteria(criteria, formdata=None, data=data)


def build_scorecard_panel(application: Application, form: ReviewForm | None = None):
    membership = g.membership
    criteria = scoring.criteria(application.posting_id)
    reviews = scoring.application_reviews(application)
    mine = next((r for r in reviews if r.reviewer_id == membership.user_id), None)
    refusal = scoring.review_refusal(application)
    hidden = scoring.others_hidden(application.posting, mine)
    others = [] if hidden else [
        _other_view(r, criteria, application) for r in reviews
        if r.reviewer_id != membership.user_id
    ]
    if form is None and refusal is None:
        form = review_form(criteria, mine)
    return ScorecardPanel(
        application=application, criteria=criteria, form=form, mine=mine, refusal=refusal,
        hidden=hidden, others=others, count=len(reviews),
        mean="" if hidden else format_score(application.score),
        action=url_for("scorecards.review", org_slug=g.organisation.slug,
                       application_id=application.id),
    )


@bp.app_context_processor
def panels():
    def scorecard_panel(application: Application, form=None):
        return build_scorecard_panel(application, form if isinstance(form, ReviewForm) else None)

    return {"scorecard_panel": scorecard_panel, "comments_panel": comments_panel}


# --- Comments panel --------------------------------------------------------------------------


@dataclass
class CommentView:
    id: int
    author: str
    mine: bool
    when: str
    iso: str
    body_html: Markup
    can_delete: bool
    delete_url: str


def comments_panel(application: Application, form=None):
    membership = g.membership
    views = [
        CommentView(
            id=c.id,
            author=c.author.display_name if c.author is not None else _("Former member"),
            mine=c.author_id == membership.user_id,
            when=_when(c.created_at),
            iso=c.created_at.isoformat(),
            body_html=text_html(mask_text(c.body, application)),
            can_delete=scoring.can_delete_comment(c, membership),
            delete_url=url_for("scorecards.delete_comment", org_slug=g.organisation.slug,
                               application_id=application.id, comment_id=c.id),
        )
        for c in scoring.comments(application)
    ]
    return {
        "comments": views,
        "form": form if isinstance(form, CommentForm) else CommentForm(formdata=None),
        "action": url_for("scorecards.comment", org_slug=g.organisation.slug,
                          application_id=application.id),
    }


# --- Reviews ---------------------------------------------------------------------------------


def _render_review(application: Application, form: ReviewForm | None, status: int = 200):
    return render_template(
        "review/scorecard.html", organisation=g.organisation, application=application,
        posting=application.posting, label=candidate_label(application), review_form=form,
    ), status


@bp.route("/candidatures/<int:application_id>/evaluation", methods=["GET", "POST"])
@org_required()
def review(application_id: int):
    application = application_or_404(application_id)
    if request.method == "GET":
        return _render_review(application, None)
    refusal = scoring.review_refusal(application)
    if refusal:
        flash(refusal, "error")
        return redirect(_application_url(application))
    form = ReviewForm.for_criteria(scoring.criteria(application.posting_id))
    if not form.validate_on_submit():
        return _render_review(application, form, 422)
    try:
        scoring.save_review(application, current_user, scores=form.scores(),
                            recommendation=form.recommendation.data,
                            comment=form.comment.data or "")
    except scoring.ScoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(_application_url(application))
    db.session.commit()
    flash(_("Your review has been saved."), "success")
    return redirect(_application_url(application, "scorecard"))


# --- Comments --------------------------------------------------------------------------------


@bp.post("/candidatures/<int:application_id>/commentaires")
@org_required()
def comment(application_id: int):
    application = application_or_404(application_id)
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_first_error(form) or _("The form has expired. Please try again."), "error")
        return redirect(_application_url(application, "comments"))
    try:
        scoring.add_comment(application, current_user, form.body.data)
    except scoring.ScoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(_application_url(application, "comments"))
    db.session.commit()
    flash(_("Comment added."), "success")
    return redirect(_application_url(application, "comments"))


@bp.post("/candidatures/<int:application_id>/commentaires/<int:comment_id>/supprimer")
@org_required()
def delete_comment(application_id: int, comment_id: int):
    application = application_or_404(application_id)
    item = scoring.comment_of(application, comment_id)
    if item is None:
        abort(404)
    if not scoring.can_delete_comment(item, g.membership):
        abort(403)
    scoring.delete_comment(item, application, current_user)
    db.session.commit()
    flash(_("Comment deleted."), "success")
    return redirect(_application_url(application, "comments"))


# --- Reviewers of an offer -------------------------------------------------------------------


def _reviewers_page(posting: Posting, form: AddReviewerForm, status: int = 200):
    return render_template(
        "review/reviewers.html", organisation=g.organisation, posting=posting,
        rows=scoring.reviewer_rows(posting), add_form=form, remove_form=ConfirmForm(),
    ), status


@bp.route("/offres/<int:posting_id>/evaluateurs", methods=["GET", "POST"])
@org_required(Role.ADMIN)
def reviewers(posting_id: int):
    posting = posting_or_404(posting_id)
    form = AddReviewerForm(members=scoring.addable_members(posting))
    if request.method == "GET":
        return _reviewers_page(posting, form)
    if not form.validate_on_submit():
        return _reviewers_page(posting, form, 422)
    try:
        user = scoring.add_reviewer(posting, form.user_id.data, actor=current_user)
    except scoring.ScoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".reviewers", org_slug=g.organisation.slug, posting_id=posting_id))
    db.session.commit()
    flash(_("%(name)s now reviews this offer.", name=user.display_name), "success")
    return redirect(url_for(".reviewers", org_slug=g.organisation.slug, posting_id=posting.id))


@bp.post("/offres/<int:posting_id>/evaluateurs/<int:user_id>/retirer")
@org_required(Role.ADMIN)
def remove_reviewer(posting_id: int, user_id: int):
    posting = posting_or_404(posting_id)
    back = redirect(url_for(".reviewers", org_slug=g.organisation.slug, posting_id=posting.id))
    try:
        user = scoring.remove_reviewer(posting, user_id, actor=current_user)
    except scoring.ScoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return back
    db.session.commit()
    flash(_("%(name)s no longer reviews this offer. Their reviews are kept.",
            name=user.display_name), "success")
    return back


# --- Review settings and criteria ------------------------------------------------------------


def _settings_form(posting: Posting, formdata=None) -> ReviewSettingsForm:
    stages = scoring.open_stages(posting.organisation_id)
    return ReviewSettingsForm.for_posting(
        posting, stages, scoring.criteria(posting), scoring.reveal_stage(posting, stages),
        formdata=formdata,
    )


def _settings_page(posting: Posting, form=None, add_form=None, status: int = 200):
    criteria = scoring.criteria(posting)
    return render_template(
        "review/review_settings.html", organisation=g.organisation, posting=posting,
        form=form or _settings_form(posting), add_form=add_form or AddCriterionForm(formdata=None),
        criteria=criteria, score_counts={c.id: scoring.score_count(c) for c in criteria},
    ), status


def _settings_url(posting: Posting, anchor: str | None = None) -> str:
    return url_for(".settings", org_slug=g.organisation.slug, posting_id=posting.id,
                   _anchor=anchor)


@bp.route("/offres/<int:posting_id>/evaluation", methods=["GET", "POST"])
@org_required(Role.ADMIN)
def settings(posting_id: int):
    posting = posting_or_404(posting_id)
    if request.method == "GET":
        return _settings_page(posting)
    form = _settings_form(posting, formdata=request.form)
    if not form.validate_on_submit():
        return _settings_page(posting, form=form, status=422)
    try:
        changed = scoring.update_settings(
            posting, actor=current_user, anonymised=form.anonymised.data,
            reveal_stage_id=form.reveal_stage_id.data,
            reviews_hidden_until_own=form.reviews_hidden_until_own.data)
        changed_criteria = scoring.update_criteria(posting, form.criterion_rows(),
                                                   actor=current_user)
    except scoring.ScoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _settings_page(posting, form=form, status=422)
    db.session.commit()
    if changed or changed_criteria:
        flash(_("Review settings saved."), "success")
    else:
        flash(_("Nothing to save: the settings were not changed."), "info")
    return redirect(_settings_url(posting))


@bp.post("/offres/<int:posting_id>/evaluation/criteres")
@org_required(Role.ADMIN)
def add_criterion(posting_id: int):
    posting = posting_or_404(posting_id)
    form = AddCriterionForm()
    if not form.validate_on_submit():
        return _settings_page(posting, add_form=form, status=422)
    try:
        criterion = scoring.add_criterion(posting, name=form.name.data, weight=form.weight.data,
                                          actor=current_user)
    except scoring.ScoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _settings_page(posting, add_form=form, status=422)
    db.session.commit()
    flash(_("Criterion “%(name)s” added.", name=criterion.name), "success")
    return redirect(_settings_url(posting, "criteria"))


@bp.post("/offres/<int:posting_id>/evaluation/criteres/<int:criterion_id>/supprimer")
@org_required(Role.ADMIN)
def delete_criterion(posting_id: int, criterion_id: int):
    posting = posting_or_404(posting_id)
    criterion = scoring.criterion_of(posting, criterion_id)
    if criterion is None:
        abort(404)
    count = scoring.score_count(criterion)
    if count and request.form.get("confirm") != "yes":
        return render_template(
            "review/review_settings_delete.html", organisation=g.organisation,
            posting=posting, criterion=criterion, count=count, form=ConfirmForm(formdata=None),
        )
    name = criterion.name
    scoring.delete_criterion(posting, criterion, actor=current_user)
    db.session.commit()
    if count:
        flash(_("Criterion “%(name)s” deleted with its scores; the scores were recomputed.",
                name=name), "success")
    else:
        flash(_("Criterion “%(name)s” deleted.", name=name), "success")
    return redirect(_settings_url(posting, "criteria"))
