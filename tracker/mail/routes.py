"""Back office of emails: the organisation's templates (admins) and its outbox (members)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import TemplateError
from sqlalchemy.orm import defer

from tracker.accounts.models import Role
from tracker.accounts.rules import org_required
from tracker.db import db, paginate
from tracker.i18n.formatting import format_clock, format_day, local_time
from tracker.mail import services
from tracker.mail.forms import ResetTemplateForm, TemplateForm
from tracker.mail.models import Message, MessageAttachment, MessageStatus, MessageTemplate
from tracker.mail.templates import (
    KIND_BY_SLUG,
    KIND_SLUGS,
    KINDS,
    LOCALES,
    PLACEHOLDERS,
    default_template,
    organisation_template,
    render_source,
    sample_context,
    text_to_html,
)

bp = Blueprint("mail", __name__, url_prefix="/gestion/<org_slug>")

LOCALE_NAMES = {"fr": "Français", "en": "English"}

STATUS_LABELS = {
    MessageStatus.DRAFT: _l("Draft"),
    MessageStatus.PENDING: _l("Waiting to be sent"),
    MessageStatus.SENDING: _l("Being sent"),
    MessageStatus.SENT: _l("Sent"),
    MessageStatus.FAILED: _l("Failed"),
    MessageStatus.DISCARDED: _l("Discarded"),
}
# Filter tabs of the outbox, in order; None is "all".
STATUS_TABS = (None, MessageStatus.PENDING, MessageStatus.SENDING, MessageStatus.SENT,
               MessageStatus.FAILED, MessageStatus.DRAFT, MessageStatus.DISCARDED)


def _when(moment) -> str:
    if moment is None:
        return ""
    local = local_time(moment, g.organisation.timezone)
    return _("%(day)s at %(time)s", day=format_day(local), time=format_clock(local))


@bp.context_processor
def mail_helpers():
    return {
        "kinds": KINDS,
        "kind_slugs": KIND_SLUGS,
        "locale_names": LOCALE_NAMES,
        "status_labels": STATUS_LABELS,
        "when": _when,
    }


# --- Templates ----------------------------------------------------------------------------------


def _kind_and_locale(template_kind: str, template_lang: str) -> tuple[str, str]:
    kind = KIND_BY_SLUG.get(template_kind)
    if kind is None or template_lang not in LOCALES:
        abort(404)
    return kind, template_lang


@bp.get("/modeles")
@org_required(Role.ADMIN)
def templates():
    custom = {
        (row.kind, row.locale): row
        for row in db.session.scalars(
            sa.select(MessageTemplate).where(MessageTemplate.organisation_id == g.organisation.id)
        )
    }
    rows = [
        {
            "kind": kind,
            "label": KINDS[kind].label,
            "versions": [
                {"locale": locale, "custom": custom.get((kind, locale)),
                 "subject": (custom[(kind, locale)].subject if (kind, locale) in custom
                             else default_template(kind, locale)[0])}
                for locale in LOCALES
            ],
        }
        for kind in KINDS
    ]
    return render_template("mail/templates.html", organisation=g.organisation, rows=rows)


def _preview(kind: str, locale: str, subject: str, body: str) -> dict | None:
    try:
        rendered_subject, text = render_source(
            subject, body, sample_context(kind, locale, g.organisation)
        )
    except (TemplateError, ArithmeticError, TypeError, ValueError):
        return None
    return {"subject": rendered_subject, "text": text,
            "html": text_to_html(text, lang=locale, title=rendered_subject)}


@bp.route("/modeles/<template_kind>/<template_lang>", methods=["GET", "POST"])
@org_required(Role.ADMIN)
def template_edit(template_kind: str, template_lang: str):
    kind, locale = _kind_and_locale(template_kind, template_lang)
    custom = organisation_template(g.organisation, kind, locale)
    default_subject, default_body = default_template(kind, locale)
    current_subject, current_body = (
        (custom.subject, custom.body) if custom is not None else (default_subject, default_body)
    )
    form = TemplateForm(kind=kind, locale=locale,
                        data={"subject": current_subject, "body": current_body.rstrip("\n")})
    preview = None
    if form.validate_on_submit():
        subject = current_subject if form.subject_is_fixed else form.subject.data
        body = form.body.data.rstrip("\n") + "\n"
        if form.save.data or not form.preview.data:
            _row, changed = services.save_template(
                g.organisation, kind, locale, subject=subject, body=body,
                actor=current_user._get_current_object(),
            )
            db.session.commit()
            if changed:
                flash(_("The email template has been saved: it is used from now on."),
                      "success")
            else:
                flash(_("Nothing to save: the template was not changed."), "success")
            return redirect(url_for(".template_edit", org_slug=g.organisation.slug,
                                    template_kind=template_kind, template_lang=locale))
        preview = _preview(kind, locale, subject, body)
    elif request.method == "GET":
        preview = _preview(kind, locale, current_subject, current_body)
    return render_template(
        "mail/template_edit.html",
        organisation=g.organisation,
        form=form,
        reset_form=ResetTemplateForm(formdata=None),
        kind=kind,
        kind_info=KINDS[kind],
        locale=locale,
        template_kind=template_kind,
        custom=custom,
        preview=preview,
        placeholders=[(name, PLACEHOLDERS[name][0]) for name in KINDS[kind].placeholders],
        condition_example=next(
            (name for name in ("answer_promise", "message", "backoffice_link", "reference")
             if name in KINDS[kind].placeholders),
            KINDS[kind].placeholders[-1],  # e.g. the digest's "items"
        ),
    )


@bp.post("/modeles/<template_kind>/<template_lang>/reinitialiser")
@org_required(Role.ADMIN)
def template_reset(template_kind: str, template_lang: str):
    kind, locale = _kind_and_locale(template_kind, template_lang)
    form = ResetTemplateForm()
    if form.validate_on_submit():
        if services.reset_template(g.organisation, kind, locale,
                                   actor=current_user._get_current_object()):
            db.session.commit()
            flash(_("The default text is used again for this email."), "success")
        else:
            flash(_("This email already uses the default text."), "success")
    return redirect(url_for(".template_edit", org_slug=g.organisation.slug,
                            template_kind=template_kind, template_lang=locale))


# --- The outbox ---------------------------------------------------------------------------------


def _status_from_args() -> MessageStatus | None:
    try:
        return MessageStatus(request.args.get("statut") or "")
    except ValueError:
        return None



@bp.get("/envois")
@org_required(Role.ADMIN)
def outbox():
    """Every email of the organisation: admins only, since it names every candidate of every
    offer (leads see only their offers, and anonymised candidates must stay hidden from them;
    their offers' answers are on each offer's drafts page)."""
    status = _status_from_args()
    organisation = g.organisation
    query = (
        sa.select(Message)
        .where(Message.organisation_id == organisation.id)
        .options(defer(Message.body_text), defer(Message.body_html))
        .order_by(Message.created_at.desc(), Message.id.desc())
    )
    if status is not None:
        query = query.where(Message.status == status)
    pagination = paginate(query, per_page=current_app.config["ADMIN_PAGE_SIZE"])
    counts = dict.fromkeys(MessageStatus, 0)
    for value, number in db.session.execute(
        sa.select(Message.status, sa.func.count())
        .where(Message.organisation_id == organisation.id)
        .group_by(Message.status)
    ):
        counts[MessageStatus(value)] = number
    ids = [message.id for message in pagination.items]
    attachments = dict(
        db.session.execute(
            sa.select(MessageAttachment.message_id, sa.func.count())
            .where(MessageAttachment.message_id.in_(ids))
            .group_by(MessageAttachment.message_id)
        ).all()
    ) if ids else {}
    return render_template(
        "mail/outbox.html",
        organisation=organisation,
        pagination=pagination,
        status=status,
        tabs=STATUS_TABS,
        counts=counts,
        attachments=attachments,
    )
