"""The pipeline and the one service that moves an application between stages.

Allowed moves:
- from an open stage to any other stage (forward, backward, or to a final stage);
- from a final stage (hired, not retained, withdrawn) back to an open stage, only while the
  answer has not been sent (``answered_at`` empty): a candidate who got an answer keeps it;
- never to the stage the application is in, to another organisation's stage, or for an
  application the candidate withdrew through their private link (it stays "withdrawn").

What goes with a move, in the caller's transaction: the decision (set on entering a final
stage, with its reason for "not retained"; cleared on leaving one, when the unsent answer
draft is discarded too), the reveal of the candidate's identity on an anonymised offer, the
audit event, and the stage's email (``Stage.email_kind``) queued as a *draft* in the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.accounts.models import Organisation, User
from tracker.applications.models import Application
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.mail.models import Message, MessageStatus
from tracker.review import anonymity
from tracker.review.models import DECISION_OF_KIND, Stage, StageKind

MOVE_ACTION = "application.stage"
REVEAL_ACTION = "application.reveal"

# Why a candidate was not retained: recorded with the decision, offered in a list.
REJECTION_REASONS: dict[str, object] = {
    "profile": _l("Profile does not match the position"),
    "experience": _l("Not enough experience"),
    "skills": _l("Skills or diploma required missing"),
    "other_candidate": _l("Another candidate was preferred"),
    "incomplete": _l("Incomplete application"),
    "late": _l("Received after the deadline"),
    "position_cancelled": _l("Position cancelled or postponed"),
    "other": _l("Other reason"),
}


class MoveError(Exception):
    """A refused move; ``str(error)`` is a translated message for the user."""


@dataclass
class MoveResult:
    application: Application
    from_stage: Stage
    to_stage: Stage
    draft: Message | None
    revealed: bool


def pipeline(organisation: Organisation | int) -> list[Stage]:
    """The organisation's stages in order: open ones first (by position), then final ones."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.id
    return list(db.session.scalars(
        sa.select(Stage).where(Stage.organisation_id == organisation_id)
        .order_by(Stage.position, Stage.id)
    ))


def initial_stage(organisation: Organisation | int) -> Stage:
    """Where new applications land: the first open stage."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.id
    stage = db.session.scalar(
        sa.select(Stage)
        .where(Stage.organisation_id == organisation_id, Stage.kind == StageKind.OPEN)
        .order_by(Stage.position, Stage.id).limit(1)
    )
    if stage is None:  # an organisation created before its pipeline existed: never expected
        raise LookupError(f"organisation {organisation_id} has no open stage")
    return stage


def stage_of_kind(organisation_id: int, kind: StageKind) -> Stage | None:
    return db.session.scalar(
        sa.select(Stage).where(Stage.organisation_id == organisation_id, Stage.kind == kind)
        .order_by(Stage.position, Stage.id).limit(1)
    )


def allowed_targets(application: Application, stages: list[Stage]) -> list[Stage]:
    """The stages the application may move to now (for the buttons and the checks)."""
    if application.withdrawn_at is not None:
        return []
    current = application.stage
    if current.is_final and application.answered_at is not None:
        return []
    return [
        s for s in stages
        if s.id != current.id and (not current.is_final or s.kind == StageKind.OPEN)
    ]


def move_application(
    application: Application,
    target: Stage,
    *,
    actor: User | None,
    reason: str = "",
    queue_email: bool = True,
) -> MoveResult:
    """Move ``application`` to ``target`` with everything that goes with it; raises MoveError.

    Adds and flushes; the caller commits. ``reason`` is required on entering a "not retained"
    stage (one of REJECTION_REASONS). ``queue_email=False`` skips the stage's email (a bulk
    action that queues its own, a withdrawal by the candidate).
    """
    if target.organisation_id != application.organisation_id:
        raise MoveError(_("This stage does not exist."))
    stages = pipeline(application.organisation_id)
    current = application.stage
    if target.id == current.id:
        raise MoveError(_("The application is already in the stage “%(stage)s”.",
                          stage=target.name))
    if target not in allowed_targets(application, stages):
        if application.withdrawn_at is not None:
            raise MoveError(_("The candidate withdrew this application: it cannot move."))
        if current.is_final and application.answered_at is not None:
            raise MoveError(_("The candidate has already been answered: the decision stands."))
        raise MoveError(_("An application in a final stage can only go back to an open "
                          "stage."))
    kind = StageKind(target.kind)
    if kind == StageKind.REJECTED and reason not in REJECTION_REASONS:
        raise MoveError(_("Choose the reason why the candidate is not retained."))

    now = utcnow()
    if current.is_final:
        discard_answer_drafts(application, actor=actor)
    application.stage_id = target.id
    application.stage = target
    application.stage_changed_at = now
    if kind.is_final:
        application.decision = DECISION_OF_KIND[kind].value
        application.decision_reason = reason if kind == StageKind.REJECTED else ""
        application.decided_at = now
    else:
        application.decision = None
        application.decision_reason = ""
        application.decided_at = None
    record_event(
        organisation_id=application.organisation_id, actor=actor, action=MOVE_ACTION,
        object_type="application", object_id=application.id,
        from_stage=current.name, to_stage=target.name, to_stage_id=target.id,
        **({"reason": reason} if kind == StageKind.REJECTED else {}),
    )
    revealed = False
    if application.revealed_at is None and anonymity.reveals(application.posting, target, stages):
        application.revealed_at = now
        revealed = True
        record_event(
            organisation_id=application.organisation_id, actor=actor, action=REVEAL_ACTION,
            object_type="application", object_id=application.id, stage=target.name,
        )
    draft = None
    if queue_email and target.email_kind:
        from tracker.review.answers import queue_stage_email

        draft = queue_stage_email(application, target, actor=actor)
    db.session.flush()
    return MoveResult(application, current, target, draft, revealed)


def discard_answer_drafts(application: Application, *, actor: User | None) -> None:
    """Leaving a final stage: the answer not sent yet no longer holds."""
    drafts = db.session.scalars(
        sa.select(Message).where(Message.application_id == application.id,
                                 Message.status == MessageStatus.DRAFT)
    )
    for message in drafts:
        message.status = MessageStatus.DISCARDED
        record_event(organisation_id=application.organisation_id, actor=actor,
                     action="message.discard", object_type="application",
                     object_id=application.id, message_id=message.id, kind=message.kind)
