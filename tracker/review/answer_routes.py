"""Answers to candidates: the drafts outbox of an offer, send one or all, edit, discard.

Any member who can see the offer (tracker.review.access) may review and send its answers.
While a candidate's identity is hidden (anonymised offer), the drafts show the reference
instead of the address, and the text with placeholders instead of the name.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.accounts.rules import org_required
from tracker.applications.models import Application
from tracker.db import db, paginate
from tracker.mail.models import Message, MessageStatus
from tracker.mail.templates import BODY_MAX_LENGTH, KINDS, SUBJECT_MAX_LENGTH
from tracker.review import answers
from tracker.review.access import posting_for_member, posting_or_404
from tracker.review.anonymity import candidate_label, is_masked

bp = Blueprint("answers", __name__, url_prefix="/gestion/<org_slug>")

PER_PAGE = 50


class ActionForm(FlaskForm):
    """A button that changes something: the CSRF token only."""


class EditForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[
        DataRequired(_l("The subject cannot be empty.")), Length(max=SUBJECT_MAX_LENGTH)])
    body = TextAreaField(_l("Message"), validators=[
        DataRequired(_l("The message cannot be empty.")), Length(max=BODY_MAX_LENGTH)],
        render_kw={"rows": 18})


# --- Lookups ----------------------------------------------------------------------------------


def message_or_404(message_id: int) -> Message:
    """A message of the organisation about an offer the member may see; else 404."""
    message = db.session.scalar(
        sa.select(Message).where(Message.id == message_id,
                                 Message.organisation_id == g.organisation.id,
                                 Message.posting_id.is_not(None))
    )
    if message is None or posting_for_member(message.posting_id) is None:
        abort(404)
    return message


def recipient_label(message: Message) -> str:
    application = message.application_id and db.session.get(Application, message.application_id)
    if application and is_masked(application):
        return candidate_label(application)
    return ", ".join(message.recipients)


def _named(message: Message, application: Application | None) -> str:
    """'Léa MARTIN <lea@example.com>' for the candidate, the addresses otherwise."""
    addresses = ", ".join(message.recipients)
    if application is None or addresses != application.candidate.email:
        return addresses
    return f"{application.candidate.display_name} <{addresses}>"


def shown_text(text: str, message: Message) -> str:
    application = message.application_id and db.session.get(Application, message.application_id)
    return answers.hide_identity(text, application) if application else text


def editable_text(text: str, message: Message) -> str:
    application = message.application_id and db.session.get(Application, message.application_id)
    return answers.identity_placeholders(text, application) if application else text


def kind_label(kind: str) -> str:
    return str(KINDS[kind].label) if kind in KINDS else kind


def _back(message: Message | None = None, posting_id: int | None = None):
    """Back to the application page when the action came from there, else the drafts page."""
    if message is not None and request.form.get("back") == "application" \
            and message.application_id:
        return redirect(url_for("applications_admin.show", org_slug=g.organisation.slug,
                                application_id=message.application_id))
    return redirect(url_for("answers.drafts", org_slug=g.organisation.slug,
                            posting_id=posting_id or message.posting_id))


def _refused(error: answers.AnswerError, message: Message):
    flash(str(error), "error")
    return _back(message)


# --- The offer's drafts -------------------------------------------------------------------------


@bp.app_context_processor
def answer_helpers():
    return {"answer_panel": answer_panel, "unanswered_count": answers.unanswered_count}


@bp.get("/offres/<int:posting_id>/reponses")
@org_required()
def drafts(posting_id: int):
    posting = posting_or_404(posting_id)
    query = (
        sa.select(Message)
        .where(Message.posting_id == posting.id, Message.organisation_id == posting.organisation_id,
               Message.status == MessageStatus.DRAFT)
        .order_by(Message.id)
    )
    pagination = paginate(query, per_page=PER_PAGE)
    rows = _draft_rows(pagination.items)
    return render_template(
        "review/answers.html", organisation=g.organisation, posting=posting,
        pagination=pagination, rows=rows, counts=answers.answer_counts(posting),
        form=ActionForm(),
    )


def _draft_rows(messages: list[Message]) -> list[dict]:
    ids = [m.application_id for m in messages if m.application_id]
    by_id = {a.id: a for a in db.session.scalars(
        sa.select(Application).where(Application.id.in_(ids))
        .options(joinedload(Application.candidate), joinedload(Application.stage),
                 joinedload(Application.posting))
    )} if ids else {}
    rows = []
    for message in messages:
        application = by_id.get(message.application_id)
        masked = application is not None and is_masked(application)
        rows.append({
            "message": message,
            "application": application,
            "recipient": candidate_label(application) if masked
            else _named(message, application),
            "kind": kind_label(message.kind),
            "subject": answers.hide_identity(message.subject, application)
            if application else message.subject,
            "body": answers.hide_identity(message.body_text, application)
            if application else message.body_text,
        })
    return rows


@bp.post("/offres/<int:posting_id>/reponses/envoyer-tout")
@org_required()
def send_all(posting_id: int):
    posting = posting_or_404(posting_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("answers.drafts", org_slug=g.organisation.slug,
                                posting_id=posting.id))
    count = len(answers.offer_drafts(posting))
    if request.form.get("confirm") != "yes":
        return render_template("review/answers_confirm.html", organisation=g.organisation,
                               posting=posting, count=count, form=form)
    sent = answers.send_all_drafts(posting, actor=current_user)
    db.session.commit()
    flash(ngettext("%(num)d email sent to the outbox.", "%(num)d emails sent to the outbox.",
                   sent) if sent else _("There was no draft to send."),
          "success" if sent else "info")
    return redirect(url_for("answers.drafts", org_slug=g.organisation.slug, posting_id=posting.id))


@bp.post("/offres/<int:posting_id>/reponses/non-retenus")
@org_required()
def answer_not_retained(posting_id: int):
    posting = posting_or_404(posting_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
    else:
        queued = answers.answer_not_retained(posting, actor=current_user)
        db.session.commit()
        if queued:
            flash(ngettext("%(num)d answer draft queued: read it, then send it.",
                           "%(num)d answer drafts queued: read them, then send them.",
                           len(queued)), "success")
        else:
            flash(_("Every candidate not retained already has an answer or a draft."), "info")
    return redirect(url_for("answers.drafts", org_slug=g.organisation.slug, posting_id=posting.id))


# --- One draft ----------------------------------------------------------------------------------


@bp.post("/reponses/<int:message_id>/envoyer")
@org_required()
def send(message_id: int):
    message = message_or_404(message_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return _back(message)
    try:
        answers.send_draft(message, actor=current_user)
    except answers.AnswerError as error:
        return _refused(error, message)
    db.session.commit()
    flash(_("The email to %(who)s is in the outbox: it will be sent shortly.",
            who=recipient_label(message)), "success")
    return _back(message)


@bp.post("/reponses/<int:message_id>/supprimer")
@org_required()
def discard(message_id: int):
    message = message_or_404(message_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return _back(message)
    try:
        answers.discard_draft(message, actor=current_user)
    except answers.AnswerError as error:
        return _refused(error, message)
    db.session.commit()
    flash(_("The draft to %(who)s was discarded. The candidate has still not been answered.",
            who=recipient_label(message)), "success")
    return _back(message)


@bp.route("/reponses/<int:message_id>/modifier", methods=["GET", "POST"])
@org_required()
def edit(message_id: int):
    message = message_or_404(message_id)
    application = message.application_id and db.session.get(Application, message.application_id)
    posting = posting_or_404(message.posting_id)
    if message.status != MessageStatus.DRAFT:
        flash(_("This email is no longer a draft (it was sent or discarded): it cannot be "
                "changed."), "error")
        return _back(message)
    form = EditForm()
    if request.method == "GET":  # placeholders only: masked text would be saved as such
        form.subject.data = editable_text(message.subject, message)
        form.body.data = editable_text(message.body_text, message)
    preview = None
    if form.validate_on_submit():
        subject, body = form.subject.data, form.body.data
        if application:
            subject = answers.edited_text(subject, message.subject, application)
            body = answers.edited_text(body, message.body_text, application)
        if request.form.get("action") == "preview":
            preview = {"subject": shown_text(subject, message), "body": shown_text(body, message)}
        else:
            try:
                answers.edit_draft(message, subject, body, actor=current_user)
            except answers.AnswerError as error:
                form.body.errors = [*form.body.errors, str(error)]
            else:
                db.session.commit()
                flash(_("The draft is saved. It has not been sent yet."), "success")
                return _back(message)
    return render_template(
        "review/answers_edit.html", organisation=g.organisation, posting=posting,
        message=message, application=application, form=form, action_form=ActionForm(),
        recipient=recipient_label(message), kind=kind_label(message.kind),
        masked=bool(application and is_masked(application)),
        preview=preview or {"subject": shown_text(message.subject, message),
                            "body": shown_text(message.body_text, message)},
    )


# --- The panel on the application page ---------------------------------------------------------


def answer_panel(application: Application) -> dict:
    """What review/_answer_panel.html shows: answered, draft(s) waiting, or nothing yet."""
    drafts = answers.waiting_drafts(application)
    sent = None
    if application.answered_at is not None:
        sent = db.session.scalar(
            sa.select(Message).where(Message.application_id == application.id,
                                     Message.kind.startswith(answers.ANSWER_PREFIX),
                                     Message.status.in_([MessageStatus.PENDING,
                                                         MessageStatus.SENDING,
                                                         MessageStatus.SENT,
                                                         MessageStatus.FAILED]))
            .order_by(Message.id.desc()).limit(1)
        )
    return {
        "answered_at": application.answered_at,
        "sent_subject": answers.hide_identity(sent.subject, application) if sent else "",
        "drafts": [{"message": m, "kind": kind_label(m.kind),
                    "subject": answers.hide_identity(m.subject, application)} for m in drafts],
        "is_final": application.stage.is_final,
        "withdrawn": application.withdrawn_at is not None,
        "form": ActionForm(),
    }
