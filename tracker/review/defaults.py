"""Good defaults, in place from the first flush: a pipeline for every new organisation and a
scorecard for every new offer, whoever creates them (the web forms, the CLI, the demo, tests).

The names are data, written in the organisation's language when it is created; admins rename
them afterwards. They are not UI strings, hence a table rather than gettext.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.accounts.models import Organisation
from tracker.postings.models import Posting
from tracker.review.models import Criterion, Stage, StageKind

# key, kind, email template queued (as a draft) on entry, names per language.
DEFAULT_STAGES: tuple[tuple[str, StageKind, str, dict[str, str]], ...] = (
    ("received", StageKind.OPEN, "", {"fr": "Reçue", "en": "Received"}),
    ("shortlisted", StageKind.OPEN, "", {"fr": "Présélectionnée", "en": "Shortlisted"}),
    ("interview", StageKind.OPEN, "", {"fr": "Entretien", "en": "Interview"}),
    ("offer", StageKind.OPEN, "", {"fr": "Proposition", "en": "Offer"}),
    ("hired", StageKind.HIRED, "answer.retained", {"fr": "Recrutée", "en": "Hired"}),
    ("rejected", StageKind.REJECTED, "answer.not_retained",
     {"fr": "Non retenue", "en": "Not retained"}),
    ("withdrawn", StageKind.WITHDRAWN, "", {"fr": "Désistement", "en": "Withdrawn"}),
)
REVEAL_STAGE_KEY = "interview"

DEFAULT_CRITERIA: tuple[dict[str, str], ...] = (
    {"fr": "Motivation", "en": "Motivation"},
    {"fr": "Expérience", "en": "Experience"},
    {"fr": "Compétences", "en": "Skills"},
    {"fr": "Adéquation au poste", "en": "Fit for the position"},
)


def _name(names: dict[str, str], locale: str | None) -> str:
    return names.get(locale or "fr", names["fr"])


def default_stages(organisation: Organisation) -> list[Stage]:
    return [
        Stage(organisation=organisation, key=key, kind=kind, email_kind=email_kind,
              name=_name(names, organisation.locale), position=position)
        for position, (key, kind, email_kind, names) in enumerate(DEFAULT_STAGES)
    ]


@sa.event.listens_for(Session, "before_flush")
def _add_defaults(session: Session, _context, _instances) -> None:
    for obj in list(session.new):
        if isinstance(obj, Organisation):
            session.add_all(default_stages(obj))


@sa.event.listens_for(Posting, "after_insert")
def _add_criteria(_mapper, connection, posting: Posting) -> None:
    # after_insert: the posting has its id; rows are inserted on the same connection.
    locale = connection.scalar(
        sa.select(Organisation.locale).where(Organisation.id == posting.organisation_id)
    )
    rows = [
        {"posting_id": posting.id, "name": _name(names, locale), "weight": 1,
         "position": position}
        for position, names in enumerate(DEFAULT_CRITERIA)
    ]
    connection.execute(sa.insert(Criterion), rows)
