"""Receiving applications: what a candidate sends becomes an application, its documents, an
audit event and the emails it causes, all in the caller's transaction (services flush, the
request commits).

Concurrency: two requests may carry the same candidate (same email) or even the same
application at once. Rows that must be unique are created with ``INSERT ... ON CONFLICT DO
NOTHING`` and read back, and the application row is written (locked) before its next version
number is read, so that concurrent submissions queue up instead of failing: PostgreSQL waits
on the row lock, SQLite on its single writer lock (the first write takes it).
"""

from __future__ import annotations

import calendar
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from tracker.review import anonymity
from tracker.review.stages import initial_stage
from tracker.accounts.models import Organisation, normalise_email
from tracker.applications.documents import CheckedFile
from tracker.applications.links import make_token, new_link_key
from tracker.applications.models import (
    Application,
    Candidate,
    Channel,
    Document,
    DocumentKind,
    Submission,
)
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.mail.services import queue_message
from tracker.mail.templates import candidate_context, document_lines, render_email
from tracker.postings.display import deadline_text
from tracker.postings.models import ContactRole, Posting, PostingStatus
from tracker.reminders.notifications import route_new_application, without

log = logging.getLogger(__name__)

# Crockford's base32: no I, L, O, U (nothing to misread when a candidate types it back).
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_RANDOM_LENGTH = 5
REFERENCE_ATTEMPTS = 20

KIND_ACKNOWLEDGEMENT = "application.acknowledgement"
KIND_ACKNOWLEDGEMENT_UPDATE = "application.acknowledgement_update"
KIND_NOTIFICATION = "application.notification"

@dataclass(frozen=True)
class SubmissionResult:
    application: Application
    submission: Submission
    token: str  # the candidate's private link token
    is_new_version: bool


class SubmissionError(RuntimeError):
    """The application could not be recorded (a bug or a database in trouble, not bad input)."""


# --- Rules -----------------------------------------------------------------------------------


def closed_reason(posting: Posting, now: datetime) -> str | None:
    """Why ``posting`` takes no application at ``now`` (translated), or None when it does."""
    if posting.is_open(now):
        return None
    if posting.status == PostingStatus.FILLED:
        return _("The position has been filled: applications are no longer accepted.")
    if posting.status == PostingStatus.PUBLISHED and posting.deadline is not None:
        return _(
            "The deadline has passed: applications were accepted %(deadline)s.",
            deadline=deadline_text(posting),
        )
    return _("This offer is closed: applications are no longer accepted.")


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (the last day of a shorter month)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month,
                          day=min(moment.day, calendar.monthrange(year, month)[1]))


def reference_prefix(organisation: Organisation) -> str:
    """'VAC' for villes-au-carre: the initials of the slug's words (2 to 4 letters)."""
    words = [w for w in re.split(r"[^a-z0-9]+", organisation.slug.lower()) if w]
    initials = "".join(w[0] for w in words if w[0].isalpha())
    if len(initials) < 2:
        initials = "".join(w for w in words if w.isalpha())[:3] or "".join(words)[:3]
    return (initials[:4] or "APP").upper()


def new_reference(organisation: Organisation, now: datetime) -> str:
    """A reference like 'VAC-26-7K3QX': organisation, year, five random characters."""
    year = now.astimezone(ZoneInfo(organisation.timezone)).year % 100
    random_part = "".join(
        secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_RANDOM_LENGTH)
    )
    return f"{reference_prefix(organisation)}-{year:02d}-{random_part}"


def size_text(size: int) -> str:
    """'10 MB', '500 KB' in the current language (French writes Mo and Ko)."""
    if size >= 1024 * 1024:
        megabytes = size / (1024 * 1024)
        number = f"{megabytes:.0f}" if megabytes == int(megabytes) else f"{megabytes:.1f}"
        return _("%(size)s MB", size=number)
    return _("%(size)s KB", size=max(1, round(size / 1024)))


# --- Rows that must exist once ---------------------------------------------------------------


def _insert(model):
    """INSERT with ON CONFLICT support for the database in use."""
    dialect = db.session.get_bind(mapper=sa.inspect(model)).dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the project runs on SQLite and PostgreSQL only
        raise SubmissionError(f"unsupported database: {dialect}")
    return insert(model)


def _candidate_query(organisation: Organisation, email: str) -> sa.Select:
    return sa.select(Candidate).where(
        Candidate.organisation_id == organisation.id, Candidate.email == email
    )


def _get_or_create_candidate(organisation: Organisation, *, email: str, first_name: str,
                             last_name: str, phone: str, now: datetime) -> Candidate:
    """The organisation's candidate with this (normalised) email, with the latest details."""
    candidate = db.session.scalar(_candidate_query(organisation, email))
    if candidate is None:
        db.session.execute(
            _insert(Candidate)
            .values(organisation_id=organisation.id, email=email, first_name=first_name,
                    last_name=last_name, phone=phone, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["organisation_id", "email"])
        )
        candidate = db.session.scalar(
            _candidate_query(organisation, email).execution_options(populate_existing=True)
        )
        if candidate is None:  # pragma: no cover - the insert or a concurrent one made it
            raise SubmissionError("candidate row missing after insert")
    # The latest form is the candidate's current name and phone.
    candidate.first_name = first_name
    candidate.last_name = last_name
    if phone:
        candidate.phone = phone
    return candidate


def _application_id(posting: Posting, candidate: Candidate) -> int | None:
    return db.session.scalar(
        sa.select(Application.id).where(
            Application.posting_id == posting.id, Application.candidate_id == candidate.id
        )
    )


def _get_or_create_application_id(posting: Posting, candidate: Candidate, *, channel: str,
                                  locale: str, now: datetime, retain_until: datetime) -> int:
    organisation = posting.organisation
    for _attempt in range(REFERENCE_ATTEMPTS):
        existing = _application_id(posting, candidate)
        if existing is not None:
            return existing
        reference = new_reference(organisation, now)
        taken = db.session.scalar(
            sa.select(Application.id).where(Application.reference == reference)
        )
        if taken is not None:
            continue
        # No conflict target: a concurrent application for the same offer and candidate and
        # (very unlikely) a reference drawn twice both end in "nothing inserted", then the
        # loop looks again.
        created = db.session.scalar(
            _insert(Application)
            .values(organisation_id=organisation.id, posting_id=posting.id,
                    candidate_id=candidate.id, reference=reference, channel=channel,
                    locale=locale, link_key=new_link_key(), submitted_at=now,
                    last_submitted_at=now, consent_at=now, retain_until=retain_until,
                    stage_id=initial_stage(organisation).id, stage_changed_at=now,
                    created_at=now, updated_at=now)
            .on_conflict_do_nothing()
            .returning(Application.id)
        )
        if created is not None:
            return created
    raise SubmissionError("could not draw a free application reference")


# --- Submitting ------------------------------------------------------------------------------


def submit_application(
    posting: Posting,
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
    cv: CheckedFile | None,
    letter: CheckedFile | None = None,
    letter_text: str = "",
    message: str = "",
    others: tuple[CheckedFile, ...] | list[CheckedFile] = (),
    keep_consent: bool = False,
    locale: str = "fr",
    channel: str = Channel.FORM,
    now: datetime | None = None,
) -> SubmissionResult:
    """Record what a candidate sent and queue the emails it causes; the caller commits.

    The first application of an email address to an offer creates the application; a later one
    adds a new version (Submission) to it, refreshes its dates and tells the candidate so. The
    caller has checked that the offer takes applications (``closed_reason``) and validated the
    input (names, email, files through ``documents.check_upload``). ``others``: further
    documents (kind "other"), e.g. a diploma attached to an emailed application.
    """
    now = now or utcnow()
    organisation = posting.organisation
    email = normalise_email(email)
    retain_until = add_months(now, organisation.retention_months)

    candidate = _get_or_create_candidate(
        organisation, email=email, first_name=first_name.strip(), last_name=last_name.strip(),
        phone=phone.strip(), now=now,
    )
    if keep_consent:
        candidate.keep_consent_at = now
    application_id = _get_or_create_application_id(
        posting, candidate, channel=channel, locale=locale, now=now, retain_until=retain_until
    )
    # Writing the application row first takes its lock (PostgreSQL) or the database's write
    # lock (SQLite): a concurrent version of the same application waits here, and the version
    # number read next is then the latest.
    db.session.execute(
        sa.update(Application)
        .where(Application.id == application_id)
        .values(last_submitted_at=now, retain_until=retain_until, consent_at=now,
                locale=locale, withdrawn_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    application = db.session.get(Application, application_id, populate_existing=True)
    latest = db.session.scalar(
        sa.select(sa.func.max(Submission.version)).where(
            Submission.application_id == application_id
        )
    )
    version = (latest or 0) + 1

    submission = Submission(
        application=application, version=version, channel=channel, message=message.strip(),
        letter_text=letter_text.strip(), submitted_at=now,
    )
    for kind, checked in ((DocumentKind.CV, cv), (DocumentKind.LETTER, letter),
                          *((DocumentKind.OTHER, other) for other in others)):
        if checked is not None:
            submission.documents.append(Document(
                kind=kind, filename=checked.filename, media_type=checked.media_type,
                size=checked.size, sha256=checked.sha256, content=checked.content,
                created_at=now,
            ))
    db.session.add(submission)
    db.session.flush()

    # The audit trail carries ids and the reference, never personal data.
    record_event(
        organisation_id=organisation.id, actor=None,
        action="application.submit" if version == 1 else "application.resubmit",
        object_type="application", object_id=application.id,
        reference=application.reference, posting_id=posting.id,
        submission_id=submission.id, version=version, channel=str(channel),
        documents=[document.id for document in submission.documents],
    )
    token = make_token(application)
    result = SubmissionResult(application=application, submission=submission, token=token,
                              is_new_version=version > 1)
    queue_acknowledgement(result, locale=locale)
    queue_notification(result)
    return result


# --- The emails it causes --------------------------------------------------------------------


def _addresses(contacts) -> list[str]:
    seen: set[str] = set()
    result = []
    for contact in contacts:
        address = (contact.display_email or "").strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def notification_recipients(posting: Posting) -> tuple[list[str], list[str]]:
    """(To, Cc) of the email telling the offer's contacts of an application; never 'info'.

    An offer without a 'to' contact writes to the organisation's address, or else to its 'cc'
    contacts.
    """
    to = _addresses(posting.contacts_with_role(ContactRole.TO))
    cc = [address for address in _addresses(posting.contacts_with_role(ContactRole.CC))
          if address.lower() not in {a.lower() for a in to}]
    if not to:
        if posting.organisation.email:
            to = [posting.organisation.email]
        else:
            to, cc = cc, []
    return to, cc


def notification_subject(posting: Posting, candidate: Candidate, name: str | None = None) -> str:
    """The offer's required subject line + ' – First LAST' (or 'Candidature – title – ...');
    ``name`` replaces the candidate's name (anonymised screening: their label)."""
    name = candidate.display_name if name is None else name
    subject_line = " ".join(posting.subject_line.split())
    if subject_line:
        return f"{subject_line} – {name}"
    return f"Candidature – {posting.title} – {name}"


def private_link(token: str) -> str:
    return url_for("candidate.show", token=token, _external=True)


def backoffice_link(application: Application) -> str:
    return url_for("applications_admin.show", org_slug=application.organisation.slug,
                   application_id=application.id, _external=True)


def queue_acknowledgement(result: SubmissionResult, *, locale: str):
    """The acknowledgement to the candidate, in the language of the form they used."""
    application, posting = result.application, result.application.posting
    organisation, candidate = application.organisation, application.candidate
    kind = KIND_ACKNOWLEDGEMENT_UPDATE if result.is_new_version else KIND_ACKNOWLEDGEMENT
    with force_locale(locale):
        context = {
            **candidate_context(application),
            "deadline": deadline_text(posting, locale),
            "private_link": private_link(result.token),
            "answer_promise": "yes" if posting.answer_promise else "",
        }
        if result.is_new_version:
            context["version"] = str(result.submission.version)
        rendered = render_email(organisation, kind, locale, context)
    try:
        return queue_message(
            organisation=organisation, kind=kind, recipients=[candidate.email],
            subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
            reply_to=organisation.email or "", posting=posting, application=application,
            locale=locale,
        )
    except ValueError as error:  # an address the outbox refuses: keep the application
        log.error("No acknowledgement for application %s: %s", application.reference, error)
        return None


def queue_notification(result: SubmissionResult):
    """The email to the offer's contacts, under the offer's required subject line.

    On an anonymised offer the contacts are its reviewers: while the application is masked
    (always, when it arrives) the email names it by its label, blanks the candidate's names and
    contact details in their text, lists the documents without their file names, attaches none
    and is answered to the organisation rather than to the candidate."""
    application, submission = result.application, result.submission
    posting, organisation = application.posting, application.organisation
    candidate = application.candidate
    to, cc = notification_recipients(posting)
    if not to:
        log.warning("Offer %s has no contact to tell of application %s", posting.id,
                    application.reference)
        return None
    # Contacts who chose the daily digest (a row waits for it) or nothing leave To/Cc.
    left_out = route_new_application(application, submission)
    if left_out:
        to, cc = without(to, left_out), without(cc, left_out)
        to, cc = (to, cc) if to else (cc, [])
        if not to:
            return None
    locale = organisation.locale
    masked = anonymity.is_masked(application)
    with force_locale(locale):
        name = anonymity.candidate_label(application)
        context = {
            "candidate_name": name,
            "candidate_email": "" if masked else candidate.email,
            "candidate_phone": "" if masked else candidate.phone,
            "reference": application.reference,
            "posting_title": posting.title,
            "organisation_name": organisation.name,
            "message": anonymity.mask_text(submission.message, application),
            "letter_text": anonymity.mask_text(submission.letter_text, application),
            "documents": document_lines(submission.documents, locale, names=not masked),
            "backoffice_link": backoffice_link(application),
            "version": str(submission.version),
            "channel": str(submission.channel),
        }
        rendered = render_email(organisation, KIND_NOTIFICATION, locale, context)
    attach = organisation.attach_documents and not masked
    message = dict(
        organisation=organisation, kind=KIND_NOTIFICATION,
        subject=notification_subject(posting, candidate, name), body_text=rendered.text,
        body_html=rendered.html,
        reply_to=(organisation.email or "") if masked else candidate.email,
        attachments=list(submission.documents) if attach else (),
        posting=posting, application=application, locale=locale,
    )
    try:
        return queue_message(recipients=to, cc=cc, **message)
    except ValueError as error:
        # Every contact address is broken: the organisation's own address gets it rather than
        # nobody, and the application is kept whatever happens to the email.
        log.error("Offer %s: no valid contact address for application %s (%s)",
                  posting.id, application.reference, error)
        if organisation.email and organisation.email not in to:
            try:
                return queue_message(recipients=[organisation.email], **message)
            except ValueError:
                pass
        return None
