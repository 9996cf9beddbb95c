"""Demo applications: fictional candidates who applied to the demo offers, through the real
submission service (documents checked, emails queued, audit trail), so that the review
workflow has something to show on `make run`.

Every person here is invented; addresses are at example.com. CVs and letters are small PDFs
rendered by WeasyPrint from the text below.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context

from tracker.applications.documents import check_upload
from tracker.applications.models import Application
from tracker.applications.services import submit_application
from tracker.db import db
from tracker.postings.models import Posting


@dataclass(frozen=True)
class DemoCandidate:
    first_name: str
    last_name: str
    email: str
    phone: str
    headline: str
    experience: tuple[str, ...]
    letter: str
    hours_ago: int  # before the demo is loaded (the offers are published then)


CANDIDATES: tuple[DemoCandidate, ...] = (
    DemoCandidate(
        "Léa", "Martin", "lea.martin@example.com", "06 12 34 56 78",
        "Master 2 Politiques urbaines – Université de Nantes",
        ("Stage de 4 mois au conseil citoyen de Malakoff – Saint-Donatien",
         "Animatrice bénévole, maison de quartier des Dervallières (2 ans)"),
        "Les conseils citoyens sont le cœur de la participation dans les quartiers : j'aimerais "
        "contribuer à les faire vivre, aux côtés de votre équipe.", 9),
    DemoCandidate(
        "Karim", "Benali", "karim.benali@example.com", "07 98 76 54 32",
        "Chargé de développement local – 5 ans d'expérience",
        ("Agent de développement, centre social de Bellevue (3 ans)",
         "Coordinateur d'un budget participatif de quartier (2 ans)"),
        "Mon expérience de terrain auprès des habitants de Bellevue me donne l'envie de "
        "l'élargir à l'échelle de la métropole.", 7),
    DemoCandidate(
        "Sophie", "Nguyen", "sophie.nguyen@example.com", "06 55 44 33 22",
        "Licence professionnelle Médiation sociale",
        ("Médiatrice sociale, bailleur social (18 mois)",
         "Service civique, association d'éducation populaire (8 mois)"),
        "La médiation m'a appris l'écoute ; je souhaite maintenant accompagner des collectifs "
        "d'habitants dans la durée.", 5),
    DemoCandidate(
        "Thomas", "Girard", "thomas.girard@example.com", "06 01 02 03 04",
        "Master 1 Sociologie – Université Rennes 2",
        ("Enquêteur, observatoire régional de la vie associative (6 mois)",),
        "Je cherche un stage qui relie la recherche et l'action publique dans les quartiers "
        "prioritaires.", 3),
    DemoCandidate(
        "Awa", "Diallo", "awa.diallo@example.com", "07 11 22 33 44",
        "BTS Économie sociale et familiale",
        ("Conseillère ESF, centre communal d'action sociale (2 ans)",),
        "Je voudrais mettre mon énergie au service de la démocratie locale et de l'accès aux "
        "droits.", 2),
)

# How many demo candidates apply to each demo offer (in order): enough to review and sort.
PER_POSTING = (5, 3, 2)


def _pdf(title: str, paragraphs: list[str]) -> bytes:
    from weasyprint import HTML

    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    document = (
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'><style>"
        "body{font-family:'DejaVu Sans',sans-serif;font-size:11pt;margin:2cm}"
        "h1{font-size:18pt}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTML(string=document).write_pdf()


def _documents(candidate: DemoCandidate):
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    name = f"{candidate.first_name} {candidate.last_name}"
    cv = check_upload(
        f"CV {name}.pdf",
        _pdf(name, [candidate.headline, *candidate.experience, candidate.email, candidate.phone]),
        max_bytes=limit,
    )
    letter = check_upload(
        f"Lettre de motivation {name}.pdf",
        _pdf("Lettre de motivation", ["Madame, Monsieur,", candidate.letter,
                                      "Je vous prie d'agréer mes salutations distinguées.",
                                      name]),
        max_bytes=limit,
    )
    return cv, letter


DEMO_BASE_URL = "http://127.0.0.1:5000/"  # what `make run` serves; links in the demo emails


def load_demo_applications(postings: list[Posting], *, now: datetime) -> int:
    """Candidates apply to the given offers (those the demo just created); returns how many.

    The emails carry links (the candidate's private link, the back office): outside a request
    they are built against SERVER_NAME when configured, else against DEMO_BASE_URL.
    """
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return _apply(postings, now=now)
    with current_app.test_request_context(base_url=DEMO_BASE_URL):
        return _apply(postings, now=now)


def _apply(postings: list[Posting], *, now: datetime) -> int:
    made = 0
    for posting, count in zip(postings, PER_POSTING, strict=False):
        already = db.session.scalar(
            sa.select(sa.func.count(Application.id)).where(Application.posting_id == posting.id))
        if already:
            continue
        for candidate in CANDIDATES[:count]:
            cv, letter = _documents(candidate)
            submit_application(
                posting, first_name=candidate.first_name, last_name=candidate.last_name,
                email=candidate.email, phone=candidate.phone, cv=cv, letter=letter,
                message="", locale="fr", now=now - timedelta(hours=candidate.hours_ago),
            )
            made += 1
    return made
