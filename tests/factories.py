"""Valid objects in one call. Call inside an application context; they flush, not commit."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tracker.accounts.models import Membership, Organisation, Role, User
from tracker.db import db
from tracker.postings import services
from tracker.postings.models import (
    ContactRole,
    ContractType,
    PayBasis,
    PayKind,
    PayPeriod,
    Posting,
    PostingContact,
    PostingStatus,
    WorkingTime,
)

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)
_hashes: dict[str, str] = {}


def _password_hash(password: str) -> str:
    """Hashing is slow on purpose (scrypt); tests hash each password once."""
    if password not in _hashes:
        probe = User()
        probe.set_password(password)
        _hashes[password] = probe.password_hash
    return _hashes[password]


def organisation(**fields) -> Organisation:
    n = next(_seq)
    values = {
        "name": f"Centre de ressources {n}",
        "slug": f"centre-{n}",
        "presentation": "Un **centre de ressources** de la politique de la ville.",
        "city": "Tours",
        "website": "https://www.example.org/",
        "email": f"contact{n}@example.org",
    }
    values.update(fields)
    org = Organisation(**values)
    db.session.add(org)
    db.session.flush()
    return org


def user(organisation: Organisation | None = None, role: Role = Role.ADMIN, *,
         email: str | None = None, name: str | None = None, password: str = PASSWORD) -> User:
    n = next(_seq)
    account = User(email=email or f"user{n}@example.org", name=name or f"Camille Exemple {n}")
    account.password_hash = _password_hash(password)
    db.session.add(account)
    if organisation is not None:
        db.session.add(Membership(user=account, organisation=organisation, role=role))
    db.session.flush()
    return account


def future(days: int = 30) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def posting(organisation: Organisation, *, status: PostingStatus = PostingStatus.DRAFT,
            contacts: list[PostingContact] | None = None, actor: User | None = None,
            **fields) -> Posting:
    """A complete offer (every field filled) in the given status."""
    n = next(_seq)
    values = dict(
        title=f"Chargé·e de mission {n}",
        reference=f"REF-{n}",
        contract_type=ContractType.CDD,
        context="Les conseils citoyens ont été mis en place par la loi du 24 février 2014.",
        missions="- Soutenir le fonctionnement\n  - animer les réunions\n- Être en veille",
        profile="- Savoir animer des groupes\n- Bonne maîtrise de l'écrit",
        diploma="Master 2 développement local",
        experience="Une expérience dans l'animation est un plus",
        contract_start=date.today() + timedelta(days=60),
        contract_end=date.today() + timedelta(days=60 + 364),
        duration_min_months=12,
        duration_max_months=12,
        start_earliest=date.today() + timedelta(days=45),
        start_latest=date.today() + timedelta(days=60),
        closure_note="Fermeture entre le 25 juillet et le 16 août",
        working_time=WorkingTime.PART_TIME,
        hours_per_week=Decimal(30),
        schedule_note="Travail possible en soirée et en week-end",
        city="Nantes",
        postal_code="44000",
        region="Pays de la Loire",
        places="Nantes et son agglomération",
        travel="Déplacements réguliers dans la métropole",
        remote="partial",
        remote_note="Un jour par semaine",
        pay_kind=PayKind.AMOUNT,
        pay_min=Decimal(1800),
        pay_max=Decimal(2000),
        pay_period=PayPeriod.MONTH,
        pay_basis=PayBasis.GROSS,
        pay_note="",
        benefits="Mutuelle santé, tickets restaurant",
        collective_agreement="ECLAT (IDCC 1518)",
        asks_cv=True,
        asks_letter=True,
        other_documents="",
        deadline=future(30),
        deadline_end_of_day=False,
        subject_line=f"Candidature chargé de mission {n}",
        accepts_email=True,
        answer_promise=True,
        source_url="https://www.example.org/offres/1",
    )
    values.update(fields)
    item = services.create_posting(organisation, actor=actor, **values)
    if contacts is None:
        contacts = [
            PostingContact(name="Claire Fontaine", email="claire.fontaine@example.org",
                           job_title="Directrice", role=ContactRole.TO, position=0),
            PostingContact(name="Inès Moreau", email="ines.moreau@example.org",
                           role=ContactRole.CC, position=1),
        ]
    item.contacts = contacts
    db.session.flush()
    path = {
        PostingStatus.DRAFT: [],
        PostingStatus.PUBLISHED: [PostingStatus.PUBLISHED],
        PostingStatus.CLOSED: [PostingStatus.PUBLISHED, PostingStatus.CLOSED],
        PostingStatus.FILLED: [PostingStatus.PUBLISHED, PostingStatus.FILLED],
        PostingStatus.ARCHIVED: [PostingStatus.PUBLISHED, PostingStatus.CLOSED,
                                 PostingStatus.ARCHIVED],
    }[PostingStatus(status)]
    for step in path:
        services.transition(item, step, actor=actor)
    return item


def application(posting: Posting, *, email: str | None = None, first_name: str = "Léa",
                last_name: str = "Martin", phone: str = "06 12 34 56 78",
                documents: list[tuple[str, str, str, bytes]] | None = None,
                message: str = "Je serais ravie d'échanger avec vous.",
                letter_text: str = "", channel: str = "form", locale: str = "fr"):
    """An application with one submission and its documents, made straight from the models.

    ``documents``: (kind, filename, media_type, content) tuples; a small PDF CV by default.
    For the real path (validation, emails), use tracker.applications.services.
    """
    import hashlib

    from tracker.applications.links import new_link_key
    from tracker.applications.models import Application, Candidate, Document, Submission
    from tracker.db import utcnow
    from tracker.review.stages import initial_stage

    n = next(_seq)
    org = posting.organisation
    candidate = Candidate(organisation=org, first_name=first_name, last_name=last_name,
                          email=email or f"candidate{n}@example.com", phone=phone)
    now = utcnow()
    item = Application(
        organisation=org, posting=posting, candidate=candidate, reference=f"T{n:06d}",
        channel=channel, locale=locale, link_key=new_link_key(), submitted_at=now,
        last_submitted_at=now, consent_at=now,
        retain_until=now + timedelta(days=30 * org.retention_months),
        stage=initial_stage(org), stage_changed_at=now,
    )
    submission = Submission(application=item, version=1, channel=channel, message=message,
                            letter_text=letter_text, submitted_at=now)
    if documents is None:
        documents = [("cv", "CV Léa Martin.pdf", "application/pdf", MINIMAL_PDF)]
    for kind, filename, media_type, content in documents:
        submission.documents.append(Document(
            kind=kind, filename=filename, media_type=media_type, size=len(content),
            sha256=hashlib.sha256(content).hexdigest(), content=content))
    db.session.add(item)
    db.session.flush()
    return item


# The smallest well-formed one-page PDF (for tests that need a document, not a real CV).
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def reviewer(posting: Posting, user: User):
    """Make ``user`` an active reviewer of ``posting`` (as an admin would)."""
    from tracker.review.models import PostingReviewer

    row = PostingReviewer(posting_id=posting.id, user_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row
