"""The organisations and offers the corpus is written for (tests/ingest/corpus/).

Two organisations: "Villes au carré" (recrutement@example.org, nine offers) and "Centre social
Les Tilleuls" (emplois@example.net, one offer). The mails are dated March 2026 and read at
NOW (12 March 2026, 08:00 in Paris).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from tests import factories
from tracker.accounts.models import Role
from tracker.db import db
from tracker.postings.models import PostingStatus

CORPUS = Path(__file__).resolve().parent / "corpus"
NOW = datetime(2026, 3, 12, 7, 0, tzinfo=UTC)
PUBLISHED_AT = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
EN = {"Accept-Language": "en"}

ORG_EMAIL = "recrutement@example.org"
ORG2_EMAIL = "emplois@example.net"

# key: (title, subject line, reference, deadline UTC, status, closed_at)
OFFERS = {
    "P1": ("Stagiaire démocratie permanente", "Candidature stagiaire démocratie permanente",
           "VAC-2026-03", datetime(2026, 3, 20, 22, 59, tzinfo=UTC), "published", None),
    "P2": ("Chargé·e de mission conseils citoyens",
           "Candidature chargé de mission conseils citoyens", "VAC-2026-04",
           datetime(2026, 3, 31, 21, 59, tzinfo=UTC), "published", None),
    "P3": ("Alternance communication", "Candidature alternance communication", "VAC-2026-05",
           datetime(2026, 4, 15, 21, 59, tzinfo=UTC), "published", None),
    "P4": ("Alternance comptabilité", "Candidature alternance comptabilité", "VAC-2026-06",
           datetime(2026, 4, 15, 21, 59, tzinfo=UTC), "published", None),
    "P5": ("Service civique médiation", "Candidature service civique médiation", "VAC-2026-01",
           datetime(2026, 2, 28, 22, 59, tzinfo=UTC), "closed",
           datetime(2026, 2, 28, 22, 59, tzinfo=UTC)),
    # Published, its deadline (5 March, 23:59 in Paris) passed before NOW.
    "P6": ("Animateur·rice jeunesse", "Candidature animateur jeunesse", "VAC-2026-02",
           datetime(2026, 3, 5, 22, 59, tzinfo=UTC), "published", None),
    # Two offers with the same line: a subject alone cannot choose.
    "P8": ("Stage accueil", "Candidature stage accueil", "VAC-2026-07",
           datetime(2026, 4, 30, 21, 59, tzinfo=UTC), "published", None),
    "P9": ("Stage accueil (Tours Nord)", "Candidature stage accueil", "VAC-2026-08",
           datetime(2026, 4, 30, 21, 59, tzinfo=UTC), "published", None),
    # A draft is never matched.
    "P10": ("Stagiaire démocratie permanente (brouillon)",
            "Candidature stagiaire démocratie permanente", "VAC-2026-09", None, "draft", None),
    # The other organisation.
    "P7": ("Coordinateur·rice centre social", "Candidature coordinateur centre social",
           "LT-2026-01", datetime(2026, 3, 31, 21, 59, tzinfo=UTC), "published", None),
}


def make_world() -> dict:
    """Create both organisations, an admin (Claire Fontaine, whose replies are not
    applications) and the offers; returns {"org", "org2", "admin", "P1".. : ids}."""
    org = factories.organisation(name="Villes au carré", slug="villes-au-carre",
                                 email=ORG_EMAIL)
    org2 = factories.organisation(name="Centre social Les Tilleuls", slug="les-tilleuls",
                                  email=ORG2_EMAIL)
    admin = factories.user(org, Role.ADMIN, email="claire.fontaine@example.org",
                           name="Claire Fontaine")
    ids = {"org": org.id, "org2": org2.id, "admin": admin.id}
    for key, (title, line, reference, deadline, status, closed_at) in OFFERS.items():
        home = org2 if key == "P7" else org
        posting = factories.posting(
            home, status=PostingStatus.DRAFT if status == "draft" else PostingStatus.PUBLISHED,
            title=title, subject_line=line, reference=reference,
        )
        if status != "draft":
            posting.published_at = PUBLISHED_AT
            posting.deadline = deadline
            posting.status = status
            posting.closed_at = closed_at
        ids[key] = posting.id
    db.session.commit()
    return ids


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.eml"))


def make_mail(*, subject: str, sender: str = "Léa Martin <lea.martin@example.com>",
              to: str = ORG_EMAIL, body: str = "Bonjour,\n\nMa candidature.\n\nLéa Martin\n",
              attachments: list[tuple[str, str, bytes]] = (), date: datetime | None = None,
              message_id: str | None = "auto", headers: dict | None = None) -> bytes:
    """A mail as a client would send it (for cases generated in the tests)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    if message_id == "auto":
        message["Message-ID"] = make_msgid(domain="example.com")
    elif message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, media_type, content in attachments:
        main, sub = media_type.split("/", 1)
        message.add_attachment(content, maintype=main, subtype=sub, filename=filename)
    return message.as_bytes()
