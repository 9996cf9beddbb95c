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
from flask_babel import ngettext

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
    "skills": _l("Required skills or diploma missing"),
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


def current_stage(application: Application) -> Stage:
    """The application's stage by ``stage_id``: code that sets only the id (the candidate's
    withdrawal) leaves the ``stage`` relationship stale until the next load."""
    stage = db.session.get(Stage, application.stage_id)
    if application.stage is not stage:
        application.stage = stage
    return stage


def allowed_targets(application: Application, stages: list[Stage]) -> list[Stage]:
    """The stages the application may move to now (for the buttons and the checks)."""
    if application.withdrawn_at is not None:
        return []
    current = current_stage(application)
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
    current = current_stage(application)
    if application.withdrawn_at is not None:
        raise MoveError(_("The candidate withdrew this application: it cannot move."))
    if current.is_final and application.answered_at is not None:
        raise MoveError(_("The candidate has already been answered: the decision stands."))
    if target.id == current.id:
        raise MoveError(_("The application is already in the stage “%(stage)s”.",
                          stage=target.name))
    if target not in allowed_targets(application, stages):
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


# --- Moving several applications of one offer at once ----------------------------------------

BULK_MAX = 1000  # applications in one bulk move (a page of the list is far fewer)


@dataclass
class BulkResult:
    moved: list[MoveResult]
    refused: list[tuple[Application, str]]  # (application, why, translated)
    missing: int  # ids that are not applications of the offer (another offer, unknown)

    @property
    def drafts(self) -> list[Message]:
        return [r.draft for r in self.moved if r.draft is not None]


def bulk_move(
    posting,
    application_ids: list[int],
    target: Stage,
    *,
    actor: User | None,
    reason: str = "",
) -> BulkResult:
    """Move the listed applications of ``posting`` to ``target``, each with its event and draft.

    Ids of other offers or organisations are not touched and are counted in ``missing``. A
    refused move leaves its application unchanged and is reported; the others go ahead, all in
    the caller's transaction. Raises MoveError when no move can succeed (a stage of another
    organisation, no reason for "not retained").
    """
    if target.organisation_id != posting.organisation_id:
        raise MoveError(_("This stage does not exist."))
    if target.kind == StageKind.REJECTED and reason not in REJECTION_REASONS:
        raise MoveError(_("Choose the reason why the candidate is not retained."))
    wanted = sorted(set(application_ids))
    # FOR UPDATE (PostgreSQL): two people moving the same applications at once are serialised,
    # the second sees the first one's result (no double decision, no double draft).
    found = list(db.session.scalars(
        sa.select(Application)
        .where(Application.id.in_(wanted), Application.posting_id == posting.id,
               Application.organisation_id == posting.organisation_id)
        .order_by(Application.id)
        .with_for_update()
    )) if wanted else []
    result = BulkResult(moved=[], refused=[], missing=len(wanted) - len(found))
    for application in found:
        try:
            result.moved.append(move_application(application, target, actor=actor, reason=reason))
        except MoveError as error:
            result.refused.append((application, str(error)))
    return result


def lock_for_move(application: Application) -> None:
    """Reload the application with a row lock (PostgreSQL) before checking a move."""
    db.session.refresh(application, with_for_update=True)


# --- Editing the pipeline (admins) ----------------------------------------------------------

PIPELINE_ACTION = "pipeline.{}"


class PipelineError(Exception):
    """A refused change of the pipeline; ``str(error)`` is a translated message."""


def stage_email_kinds() -> list[tuple[str, str]]:
    """(kind, label) of the candidate-facing templates a stage may queue on entry.

    Read at call time: the registry grows as features add kinds.
    """
    from tracker.mail.templates import KINDS

    return [(kind, str(spec.label)) for kind, spec in KINDS.items()
            if kind.startswith(("answer.", "stage."))]


def _record_pipeline(organisation_id: int, actor: User | None, what: str, **data) -> None:
    record_event(organisation_id=organisation_id, actor=actor, action=PIPELINE_ACTION.format(what),
                 object_type="organisation", object_id=organisation_id, **data)


def stage_counts(organisation_id: int) -> dict[int, int]:
    """Number of applications in each stage of the organisation (absent: none)."""
    rows = db.session.execute(
        sa.select(Application.stage_id, sa.func.count(Application.id))
        .where(Application.organisation_id == organisation_id)
        .group_by(Application.stage_id)
    )
    return {stage_id: count for stage_id, count in rows}


def _renumber(stages: list[Stage]) -> None:
    """Positions 0..n-1, open stages first, each group in its current order."""
    ordered = ([s for s in stages if not s.is_final] + [s for s in stages if s.is_final])
    for position, stage in enumerate(ordered):
        stage.position = position


def update_stages(organisation: Organisation, changes: dict[int, tuple[str, str]], *,
                  actor: User | None) -> int:
    """Rename stages and set the email each queues; ``changes``: stage id -> (name, kind).

    Returns how many stages changed; unknown ids are ignored.
    """
    allowed = {kind for kind, _label in stage_email_kinds()} | {""}
    changed = 0
    for stage in pipeline(organisation):
        if stage.id not in changes:
            continue
        name, email_kind = changes[stage.id]
        name = name.strip()
        if email_kind not in allowed and email_kind != stage.email_kind:
            raise PipelineError(_("This email template does not exist."))
        if not name:
            raise PipelineError(_("Give every stage a name."))
        if (name, email_kind) == (stage.name, stage.email_kind):
            continue
        _record_pipeline(organisation.id, actor, "update", stage_id=stage.id,
                         name=[stage.name, name], email_kind=[stage.email_kind, email_kind])
        stage.name, stage.email_kind = name, email_kind
        changed += 1
    db.session.flush()
    return changed


def add_stage(organisation: Organisation, name: str, email_kind: str = "", *,
              actor: User | None) -> Stage:
    """A new open stage, after the last open one."""
    name = name.strip()
    if not name:
        raise PipelineError(_("Give the new stage a name."))
    if email_kind and email_kind not in {kind for kind, _label in stage_email_kinds()}:
        raise PipelineError(_("This email template does not exist."))
    stages = pipeline(organisation)
    stage = Stage(organisation_id=organisation.id, name=name, kind=StageKind.OPEN,
                  email_kind=email_kind, position=len(stages))
    db.session.add(stage)
    open_stages = [s for s in stages if not s.is_final]
    _renumber(open_stages + [stage] + [s for s in stages if s.is_final])
    db.session.flush()
    _record_pipeline(organisation.id, actor, "add", stage_id=stage.id, name=name,
                     email_kind=email_kind)
    return stage


def move_stage(stage: Stage, direction: str, *, actor: User | None) -> bool:
    """Swap ``stage`` with its neighbour ("up" or "down") among stages of its group (open or
    final); returns False when it is already at that end."""
    stages = pipeline(stage.organisation_id)
    group = [s for s in stages if s.is_final == stage.is_final]
    index = group.index(stage)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(group):
        return False
    group[index], group[other] = group[other], group[index]
    rest = [s for s in stages if s.is_final != stage.is_final]
    _renumber(group + rest)
    _record_pipeline(stage.organisation_id, actor, "reorder", stage_id=stage.id,
                     direction=direction, order=[s.id for s in pipeline(stage.organisation_id)])
    db.session.flush()
    return True


def delete_stage(stage: Stage, *, actor: User | None) -> None:
    """Delete an open stage that holds no application and is not the last open one."""
    if stage.is_final:
        raise PipelineError(_("“%(stage)s” is a final stage: it can be renamed, not deleted.",
                              stage=stage.name))
    stages = pipeline(stage.organisation_id)
    if sum(1 for s in stages if not s.is_final) <= 1:
        raise PipelineError(_("“%(stage)s” is the only open stage: new applications need it.",
                              stage=stage.name))
    count = stage_counts(stage.organisation_id).get(stage.id, 0)
    if count:
        raise PipelineError(ngettext(
            "“%(stage)s” holds %(num)d application: move it to another stage first.",
            "“%(stage)s” holds %(num)d applications: move them to another stage first.",
            count, stage=stage.name))
    _record_pipeline(stage.organisation_id, actor, "delete", stage_id=stage.id, name=stage.name)
    db.session.delete(stage)
    db.session.flush()
    _renumber([s for s in stages if s.id != stage.id])
    db.session.flush()
