"""Pipeline editor, moving applications between stages (one or many), decisions."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup

from tracker.accounts.models import Role
from tracker.accounts.rules import org_required
from tracker.applications.models import Application
from tracker.db import db
from tracker.i18n.formatting import format_clock, format_day
from tracker.review import stages as service
from tracker.review.access import application_or_404, posting_or_404
from tracker.review.anonymity import candidate_label
from tracker.review.models import Decision, Stage, StageKind
from tracker.review.pipeline_forms import (
    AddStageForm,
    BulkMoveForm,
    ConfirmForm,
    MoveForm,
    ReorderForm,
    email_choices,
    pipeline_form,
)

bp = Blueprint("pipeline", __name__, url_prefix="/gestion/<org_slug>")

def _decision_label(decision: str | None) -> str:
    labels = {Decision.RETAINED.value: _("Retained"),
              Decision.NOT_RETAINED.value: _("Not retained"),
              Decision.WITHDRAWN.value: _("Withdrawn")}
    return labels.get(decision or "", "")


def _when(value: datetime | None, timezone: str) -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(timezone))
    return _("%(day)s at %(time)s", day=format_day(local), time=format_clock(local))


def _stage_or_404(stage_id: int) -> Stage:
    stage = db.session.scalar(sa.select(Stage).where(
        Stage.id == stage_id, Stage.organisation_id == g.organisation.id))
    if stage is None:
        abort(404)
    return stage


def _target(stage_id: int | None) -> Stage | None:
    if stage_id is None:
        return None
    return db.session.scalar(sa.select(Stage).where(
        Stage.id == stage_id, Stage.organisation_id == g.organisation.id))


def _drafts_link(posting_id: int, count: int) -> Markup:
    text = ngettext("The answer is waiting in the drafts: check it and send it.",
                    "%(num)d answers are waiting in the drafts: check them and send them.",
                    count)
    if "answers.drafts" not in current_app.view_functions:
        return Markup("{}").format(text)
    url = url_for("answers.drafts", org_slug=g.organisation.slug, posting_id=posting_id)
    return Markup('{} <a href="{}">{}</a>').format(text, url, _("Open the drafts"))


# --- The panel on the application page ------------------------------------------------------


@bp.app_context_processor
def pipeline_helpers():
    return {"stage_panel": stage_panel, "bulk_actions": bulk_actions}


def stage_panel(application: Application) -> dict:
    """What review/_stage_panel.html shows: where the application is and where it may go."""
    organisation = application.organisation
    stages = service.pipeline(organisation.id)
    targets = service.allowed_targets(application, stages)
    current = service.current_stage(application)
    if application.withdrawn_at is not None:
        blocked = _("The candidate withdrew this application: it cannot move.")
    elif current.is_final and application.answered_at is not None:
        blocked = _("The candidate has already been answered: the decision stands.")
    else:
        blocked = ""
    return {
        "label": candidate_label(application),
        "stage": current,
        "since": _when(application.stage_changed_at, organisation.timezone),
        "decision": _decision_label(application.decision),
        "reason": str(service.REJECTION_REASONS.get(application.decision_reason, "")),
        "decided": _when(application.decided_at, organisation.timezone),
        "answered": _when(application.answered_at, organisation.timezone),
        "stages": stages,
        "targets": targets,
        "blocked": blocked,
        "form": MoveForm(formdata=None),
        "action": url_for("pipeline.move", org_slug=organisation.slug,
                          application_id=application.id),
    }


def bulk_actions(posting) -> dict:
    """What review/_bulk_actions.html shows: the stages an offer's applications may go to."""
    return {"stages": service.pipeline(posting.organisation_id),
            "form": BulkMoveForm(formdata=None)}


# --- Moving applications --------------------------------------------------------------------


@bp.post("/candidatures/<int:application_id>/etape")
@org_required()
def move(application_id: int):
    application = application_or_404(application_id)
    back = url_for("applications_admin.show", org_slug=g.organisation.slug,
                   application_id=application.id, _anchor="stage")
    form = MoveForm()
    target = _target(form.stage_id.data) if form.validate_on_submit() else None
    if target is None:
        flash(_first_error(form) or _("This stage does not exist."), "error")
        return redirect(back)
    service.lock_for_move(application)
    try:
        result = service.move_application(application, target, actor=current_user,
                                          reason=form.reason.data or "")
    except service.MoveError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    db.session.commit()
    _flash_move(result)
    return redirect(back)


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors and isinstance(errors[0], str):
            return errors[0]
    return ""


def _flash_move(result: service.MoveResult) -> None:
    flash(_("%(candidate)s moved to “%(stage)s”.",
            candidate=candidate_label(result.application), stage=result.to_stage.name), "success")
    if result.revealed:
        flash(_("The candidate's identity is now shown to the reviewers."), "success")
    if result.draft is not None:
        flash(_drafts_link(result.application.posting_id, 1), "success")


@bp.post("/offres/<int:posting_id>/candidatures/etape")
@org_required()
def bulk_move(posting_id: int):
    posting = posting_or_404(posting_id)
    form = BulkMoveForm()
    back = _local_path(form.next.data) or url_for(
        "applications_admin.index", org_slug=g.organisation.slug, posting_id=posting.id)
    target = _target(form.stage_id.data) if form.validate_on_submit() else None
    ids = form.selected_ids() if not form.application_ids.errors else []
    if target is None or not ids:
        message = (_("Tick the applications to move.") if not ids and target is not None
                   else _first_error(form) or _("This stage does not exist."))
        flash(message, "error")
        return redirect(back)
    if len(ids) > service.BULK_MAX:
        flash(_("Move at most %(max)d applications at once.", max=service.BULK_MAX), "error")
        return redirect(back)
    try:
        result = service.bulk_move(posting, ids, target, actor=current_user,
                                   reason=form.reason.data or "")
    except service.MoveError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    db.session.commit()
    _flash_bulk(result, target, posting.id)
    return redirect(back)


def _flash_bulk(result: service.BulkResult, target: Stage, posting_id: int) -> None:
    moved = len(result.moved)
    refused = len(result.refused) + result.missing
    if moved:
        flash(ngettext("%(num)d application moved to “%(stage)s”.",
                       "%(num)d applications moved to “%(stage)s”.", moved,
                       stage=target.name), "success")
    if refused:
        flash(_refused_message(result, refused), "error" if not moved else "warning")
    if result.drafts:
        flash(_drafts_link(posting_id, len(result.drafts)), "success")


def _refused_message(result: service.BulkResult, refused: int) -> str:
    by_reason: dict[str, list[str]] = defaultdict(list)
    for application, why in result.refused:
        by_reason[why].append(application.reference)
    parts = [f"{why} ({', '.join(refs)})" for why, refs in by_reason.items()]
    if result.missing:
        parts.append(ngettext("%(num)d selected application is not from this offer.",
                              "%(num)d selected applications are not from this offer.",
                              result.missing))
    return ngettext("%(num)d refused: %(why)s", "%(num)d refused: %(why)s", refused,
                    why=" ".join(parts))


def _local_path(value: str | None) -> str:
    """``value`` if it is a path on this site (the list with its filters), else ""."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return ""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value):
        return ""
    return value


# --- The pipeline editor (admins) -----------------------------------------------------------


@bp.route("/etapes", methods=["GET", "POST"])
@org_required(Role.ADMIN)
def edit():
    stages = service.pipeline(g.organisation)
    kinds = service.stage_email_kinds()
    form = pipeline_form(stages, kinds)
    if form.validate_on_submit():
        try:
            changed = service.update_stages(g.organisation, form.changes(), actor=current_user)
        except service.PipelineError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for(".edit", org_slug=g.organisation.slug))
        db.session.commit()
        flash(ngettext("%(num)d stage saved.", "%(num)d stages saved.", changed)
              if changed else _("Nothing to save: no stage was changed."), "success")
        return redirect(url_for(".edit", org_slug=g.organisation.slug))
    return _render_editor(stages, kinds, form), 422 if form.errors else 200


def _render_editor(stages, kinds, form, add_form=None):
    if add_form is None:
        add_form = AddStageForm(formdata=None)
    add_form.email_kind.choices = email_choices(kinds)
    counts = service.stage_counts(g.organisation.id)
    open_ids = [s.id for s in stages if not s.is_final]
    final_ids = [s.id for s in stages if s.is_final]
    return render_template(
        "review/pipeline_edit.html", organisation=g.organisation, stages=stages, form=form,
        add_form=add_form, counts=counts, open_ids=open_ids, final_ids=final_ids,
        reorder_form=ReorderForm(formdata=None), confirm_form=ConfirmForm(formdata=None),
        kind_labels=_kind_labels(),
    )


def _kind_labels() -> dict[str, str]:
    return {StageKind.OPEN: _("Open"), StageKind.HIRED: _("Final: hired"),
            StageKind.REJECTED: _("Final: not retained"),
            StageKind.WITHDRAWN: _("Final: withdrawn")}


@bp.post("/etapes/ajout")
@org_required(Role.ADMIN)
def add():
    kinds = service.stage_email_kinds()
    form = AddStageForm()
    form.email_kind.choices = email_choices(kinds)
    if not form.validate_on_submit():
        stages = service.pipeline(g.organisation)
        return _render_editor(stages, kinds, pipeline_form(stages, kinds, formdata=None),
                              add_form=form), 422
    try:
        stage = service.add_stage(g.organisation, form.name.data, form.email_kind.data,
                                  actor=current_user)
    except service.PipelineError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".edit", org_slug=g.organisation.slug))
    db.session.commit()
    flash(_("Stage “%(stage)s” added.", stage=stage.name), "success")
    return redirect(url_for(".edit", org_slug=g.organisation.slug, _anchor=f"stage-{stage.id}"))


@bp.post("/etapes/<int:stage_id>/ordre")
@org_required(Role.ADMIN)
def reorder(stage_id: int):
    stage = _stage_or_404(stage_id)
    form = ReorderForm()
    back = url_for(".edit", org_slug=g.organisation.slug, _anchor=f"stage-{stage.id}")
    if not form.validate_on_submit():
        flash(_("Choose whether to move the stage up or down."), "error")
        return redirect(back)
    if service.move_stage(stage, form.direction.data, actor=current_user):
        db.session.commit()
        flash(_("Stage “%(stage)s” moved.", stage=stage.name), "success")
    else:
        flash(_("“%(stage)s” cannot go further that way.", stage=stage.name), "warning")
    return redirect(back)


@bp.post("/etapes/<int:stage_id>/suppression")
@org_required(Role.ADMIN)
def delete(stage_id: int):
    stage = _stage_or_404(stage_id)
    back = url_for(".edit", org_slug=g.organisation.slug)
    if not ConfirmForm().validate_on_submit():
        flash(_("Your form has expired. Please try again."), "error")
        return redirect(back)
    name = stage.name
    try:
        service.delete_stage(stage, actor=current_user)
    except service.PipelineError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    db.session.commit()
    flash(_("Stage “%(stage)s” deleted.", stage=name), "success")
    return redirect(back)
