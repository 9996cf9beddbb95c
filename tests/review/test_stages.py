"""move_application: every allowed and refused move, and what goes with each."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests import factories
from tests.review.stages_support import events, offer_world, stages_by_key
from tracker.applications import privacy
from tracker.db import db, utcnow
from tracker.mail.models import Message, MessageStatus
from tracker.mail.services import queue_message
from tracker.review import stages as service
from tracker.review.models import Stage, StageKind
from tracker.review.stages import MoveError, allowed_targets, move_application


@pytest.fixture
def ctx(app):
    """One app context for service tests (no client requests in these tests)."""
    with app.app_context(), app.test_request_context(), force_locale("en"):
        yield offer_world()


def _app(ctx, **kwargs):
    return factories.application(ctx["posting"], **kwargs)


def test_pipeline_is_the_default_one_in_order(ctx):
    names = [s.name for s in service.pipeline(ctx["org"])]
    assert names == ["Received", "Shortlisted", "Interview", "Offer", "Hired", "Not retained",
                     "Withdrawn"]
    assert service.initial_stage(ctx["org"]).key == "received"
    assert service.stage_of_kind(ctx["org"].id, StageKind.REJECTED).key == "rejected"


def test_move_open_to_open_forward_and_backward(ctx):
    application = _app(ctx)
    stages = ctx["stages"]
    result = move_application(application, stages["interview"], actor=ctx["lead"])
    assert result.from_stage == stages["received"] and result.to_stage == stages["interview"]
    assert application.stage_id == stages["interview"].id
    assert application.decision is None and application.decided_at is None
    assert result.draft is None and result.revealed is False
    move_application(application, stages["shortlisted"], actor=ctx["lead"])
    assert application.stage_id == stages["shortlisted"].id


def test_move_records_the_audit_event(ctx):
    application = _app(ctx)
    move_application(application, ctx["stages"]["shortlisted"], actor=ctx["lead"])
    [event] = events(ctx["org"].id, service.MOVE_ACTION)
    assert (event.object_type, event.object_id, event.actor_id) == (
        "application", application.id, ctx["lead"].id)
    assert event.data == {"from_stage": "Received", "to_stage": "Shortlisted",
                          "to_stage_id": ctx["stages"]["shortlisted"].id}


def test_move_sets_stage_changed_at(ctx):
    application = _app(ctx)
    before = application.stage_changed_at
    move_application(application, ctx["stages"]["offer"], actor=ctx["admin"])
    assert application.stage_changed_at >= before
    assert application.stage_changed_at.tzinfo is not None


def test_move_to_hired_sets_the_decision(ctx):
    application = _app(ctx)
    move_application(application, ctx["stages"]["hired"], actor=ctx["admin"])
    assert application.decision == "retained"
    assert application.decision_reason == ""
    assert application.decided_at is not None


def test_move_to_rejected_sets_decision_and_reason(ctx):
    application = _app(ctx)
    move_application(application, ctx["stages"]["rejected"], actor=ctx["lead"],
                     reason="experience")
    assert (application.decision, application.decision_reason) == ("not_retained", "experience")
    assert application.decided_at is not None
    [event] = events(ctx["org"].id, service.MOVE_ACTION)
    assert event.data["reason"] == "experience"


def test_move_to_withdrawn_stage_by_a_member(ctx):
    application = _app(ctx)
    move_application(application, ctx["stages"]["withdrawn"], actor=ctx["admin"])
    assert application.decision == "withdrawn"
    assert application.withdrawn_at is None  # told us by phone: not the candidate's link


def test_rejected_without_reason_is_refused(ctx):
    application = _app(ctx)
    for reason in ("", "not-a-reason"):
        with pytest.raises(MoveError, match="Choose the reason"):
            move_application(application, ctx["stages"]["rejected"], actor=ctx["lead"],
                             reason=reason)
    assert application.stage_id == ctx["stages"]["received"].id
    assert application.decision is None
    assert events(ctx["org"].id, service.MOVE_ACTION) == []


def test_reason_is_ignored_outside_the_rejected_stage(ctx):
    application = _app(ctx)
    move_application(application, ctx["stages"]["hired"], actor=ctx["admin"], reason="late")
    assert application.decision_reason == ""
    assert "reason" not in events(ctx["org"].id, service.MOVE_ACTION)[0].data


def test_final_back_to_open_before_the_answer_clears_the_decision(ctx):
    application = _app(ctx)
    stages = ctx["stages"]
    move_application(application, stages["rejected"], actor=ctx["lead"], reason="profile")
    move_application(application, stages["shortlisted"], actor=ctx["lead"])
    assert application.stage_id == stages["shortlisted"].id
    assert (application.decision, application.decision_reason, application.decided_at) == (
        None, "", None)


def test_final_to_final_is_refused(ctx):
    application = _app(ctx)
    stages = ctx["stages"]
    move_application(application, stages["rejected"], actor=ctx["lead"], reason="profile")
    with pytest.raises(MoveError, match="final stage can only go back to an open stage"):
        move_application(application, stages["hired"], actor=ctx["lead"])
    assert application.decision == "not_retained"


def test_anything_after_the_answer_is_refused(ctx):
    application = _app(ctx)
    stages = ctx["stages"]
    move_application(application, stages["rejected"], actor=ctx["lead"], reason="profile")
    application.answered_at = utcnow()
    for target in (stages["received"], stages["interview"], stages["hired"],
                   stages["withdrawn"]):
        with pytest.raises(MoveError, match="already been answered"):
            move_application(application, target, actor=ctx["admin"])
    assert application.stage_id == stages["rejected"].id
    assert application.decision == "not_retained"
    assert allowed_targets(application, service.pipeline(ctx["org"])) == []


def test_same_stage_is_refused(ctx):
    application = _app(ctx)
    with pytest.raises(MoveError, match="already in the stage “Received”"):
        move_application(application, ctx["stages"]["received"], actor=ctx["lead"])
    assert events(ctx["org"].id) == [e for e in events(ctx["org"].id)
                                     if e.action != service.MOVE_ACTION]


def test_other_organisations_stage_is_refused(ctx):
    application = _app(ctx)
    other = factories.organisation()
    foreign = stages_by_key(other)["interview"]
    with pytest.raises(MoveError, match="This stage does not exist"):
        move_application(application, foreign, actor=ctx["admin"])
    assert application.stage_id == ctx["stages"]["received"].id


def test_application_withdrawn_by_the_candidate_cannot_move(ctx):
    application = _app(ctx)
    privacy.withdraw_application(application, by="candidate")
    assert application.stage_id == ctx["stages"]["withdrawn"].id
    assert allowed_targets(application, service.pipeline(ctx["org"])) == []
    for target in (ctx["stages"]["received"], ctx["stages"]["hired"]):
        with pytest.raises(MoveError, match="candidate withdrew"):
            move_application(application, target, actor=ctx["admin"])
    assert application.decision == "withdrawn"


def test_allowed_targets_from_open_and_final(ctx):
    application = _app(ctx)
    stages = service.pipeline(ctx["org"])
    keys = [s.key for s in allowed_targets(application, stages)]
    assert keys == ["shortlisted", "interview", "offer", "hired", "rejected", "withdrawn"]
    move_application(application, ctx["stages"]["hired"], actor=ctx["admin"])
    keys = [s.key for s in allowed_targets(application, stages)]
    assert keys == ["received", "shortlisted", "interview", "offer"]


# --- Anonymised offers: the reveal --------------------------------------------------------


@pytest.fixture
def blind(app):
    with app.app_context(), app.test_request_context(), force_locale("en"):
        yield offer_world(anonymised=True)


def test_entering_the_reveal_stage_reveals_with_an_event(blind):
    application = factories.application(blind["posting"])
    move_application(application, blind["stages"]["shortlisted"], actor=blind["lead"])
    assert application.revealed_at is None
    assert events(blind["org"].id, service.REVEAL_ACTION) == []
    result = move_application(application, blind["stages"]["interview"], actor=blind["lead"])
    assert result.revealed is True
    assert application.revealed_at is not None
    [event] = events(blind["org"].id, service.REVEAL_ACTION)
    assert (event.object_id, event.actor_id, event.data) == (
        application.id, blind["lead"].id, {"stage": "Interview"})


def test_reveal_happens_once(blind):
    application = factories.application(blind["posting"])
    move_application(application, blind["stages"]["offer"], actor=blind["lead"])
    first = application.revealed_at
    move_application(application, blind["stages"]["received"], actor=blind["lead"])
    move_application(application, blind["stages"]["interview"], actor=blind["lead"])
    assert application.revealed_at == first
    assert len(events(blind["org"].id, service.REVEAL_ACTION)) == 1


def test_no_reveal_on_rejected_or_withdrawn(blind):
    application = factories.application(blind["posting"])
    result = move_application(application, blind["stages"]["rejected"], actor=blind["lead"],
                              reason="profile")
    assert result.revealed is False and application.revealed_at is None
    move_application(application, blind["stages"]["received"], actor=blind["lead"])
    move_application(application, blind["stages"]["withdrawn"], actor=blind["lead"])
    assert application.revealed_at is None
    assert events(blind["org"].id, service.REVEAL_ACTION) == []


def test_hired_reveals(blind):
    application = factories.application(blind["posting"])
    assert move_application(application, blind["stages"]["hired"], actor=blind["admin"]).revealed


def test_offer_reveal_stage_setting_is_followed(blind):
    blind["posting"].reveal_stage_id = blind["stages"]["shortlisted"].id
    application = factories.application(blind["posting"])
    assert move_application(application, blind["stages"]["shortlisted"],
                            actor=blind["lead"]).revealed


def test_no_reveal_on_an_offer_that_is_not_anonymised(ctx):
    application = _app(ctx)
    assert not move_application(application, ctx["stages"]["interview"],
                                actor=ctx["lead"]).revealed
    assert application.revealed_at is None
    assert events(ctx["org"].id, service.REVEAL_ACTION) == []


# --- Drafts ---------------------------------------------------------------------------------


def _draft(ctx, application) -> Message:
    return queue_message(organisation=ctx["org"], kind="answer.not_retained",
                         recipients=[application.candidate.email], subject="Your application",
                         body_text="Hello", posting=ctx["posting"], application=application,
                         status=MessageStatus.DRAFT)


def test_leaving_a_final_stage_discards_the_unsent_draft(ctx):
    application = _app(ctx)
    move_application(application, ctx["stages"]["rejected"], actor=ctx["lead"], reason="late")
    draft = _draft(ctx, application)
    move_application(application, ctx["stages"]["shortlisted"], actor=ctx["lead"])
    assert draft.status == MessageStatus.DISCARDED
    [event] = events(ctx["org"].id, "message.discard")
    assert event.data["message_id"] == draft.id


def test_open_to_open_keeps_other_drafts(ctx):
    application = _app(ctx)
    draft = _draft(ctx, application)
    move_application(application, ctx["stages"]["shortlisted"], actor=ctx["lead"])
    assert draft.status == MessageStatus.DRAFT


def test_stage_without_email_queues_nothing(ctx):
    application = _app(ctx)
    result = move_application(application, ctx["stages"]["hired"], actor=ctx["admin"])
    assert result.draft is None
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_queue_email_false_skips_the_stage_email(app):
    with app.app_context(), app.test_request_context(), force_locale("en"):
        world = offer_world(emails=True)
        application = factories.application(world["posting"])
        result = move_application(application, world["stages"]["hired"], actor=world["admin"],
                                  queue_email=False)
        assert result.draft is None
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_entering_a_stage_with_an_email_queues_a_draft(app):
    """With the answers service (tracker.review.answers): the stage's email becomes a draft."""
    from tracker.review.answers import queue_stage_email  # noqa: F401 (must exist)

    with app.app_context(), app.test_request_context(), force_locale("en"):
        world = offer_world(emails=True)
        application = factories.application(world["posting"], email="lea.martin@example.com",
                                            locale="en")
        result = move_application(application, world["stages"]["rejected"],
                                  actor=world["lead"], reason="profile")
        draft = result.draft
        assert draft is not None
        assert draft.status == MessageStatus.DRAFT
        assert draft.kind == "answer.not_retained"
        assert draft.application_id == application.id
        assert draft.posting_id == world["posting"].id
        assert draft.recipients == ["lea.martin@example.com"]
        assert draft.locale == "en"
        # Back to an open stage before sending: the draft is discarded.
        move_application(application, world["stages"]["shortlisted"], actor=world["lead"])
        assert draft.status == MessageStatus.DISCARDED


def test_every_default_stage_kind_is_known(ctx):
    kinds = {s.kind for s in db.session.scalars(sa.select(Stage))}
    assert kinds == {k.value for k in StageKind}
