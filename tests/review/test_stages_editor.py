"""Editing the pipeline (services): rename, email on entry, add, reorder, delete; bulk moves."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from tests import factories
from tests.review.stages_support import events, offer_world, stages_by_key
from tracker.db import db, utcnow
from tracker.review import stages as service
from tracker.review.models import Stage
from tracker.review.stages import PipelineError


@pytest.fixture
def ctx(app):
    with app.app_context(), app.test_request_context(), force_locale("en"):
        yield offer_world()


def _names(org) -> list[str]:
    return [s.name for s in service.pipeline(org)]


def test_update_stages_renames_and_sets_email_with_an_event(ctx):
    stage = ctx["stages"]["shortlisted"]
    changed = service.update_stages(ctx["org"], {stage.id: ("  Preselected ",
                                                            "answer.not_retained")},
                                    actor=ctx["admin"])
    assert changed == 1
    assert (stage.name, stage.email_kind) == ("Preselected", "answer.not_retained")
    [event] = events(ctx["org"].id, "pipeline.update")
    assert (event.object_type, event.object_id, event.actor_id) == (
        "organisation", ctx["org"].id, ctx["admin"].id)
    assert event.data == {"stage_id": stage.id, "name": ["Shortlisted", "Preselected"],
                          "email_kind": ["", "answer.not_retained"]}


def test_update_stages_without_change_records_nothing(ctx):
    stages = service.pipeline(ctx["org"])
    changed = service.update_stages(ctx["org"], {s.id: (s.name, s.email_kind) for s in stages},
                                    actor=ctx["admin"])
    assert changed == 0
    assert events(ctx["org"].id, "pipeline.update") == []


def test_update_stages_refuses_unknown_email_and_empty_name(ctx):
    stage = ctx["stages"]["offer"]
    with pytest.raises(PipelineError, match="template does not exist"):
        service.update_stages(ctx["org"], {stage.id: ("Offer", "application.notification")},
                              actor=ctx["admin"])
    with pytest.raises(PipelineError, match="Give every stage a name"):
        service.update_stages(ctx["org"], {stage.id: ("  ", "")}, actor=ctx["admin"])


def test_final_stages_can_be_renamed(ctx):
    stage = ctx["stages"]["rejected"]
    service.update_stages(ctx["org"], {stage.id: ("Not selected", "")}, actor=ctx["admin"])
    assert stage.name == "Not selected" and stage.kind == "rejected"


def test_stage_email_kinds_are_candidate_facing_only(ctx):
    kinds = [kind for kind, _label in service.stage_email_kinds()]
    assert "answer.retained" in kinds and "answer.not_retained" in kinds
    assert all(k.startswith(("answer.", "stage.")) for k in kinds)
    assert "application.notification" not in kinds


def test_add_stage_goes_after_the_last_open_stage(ctx):
    stage = service.add_stage(ctx["org"], "Second interview", "", actor=ctx["admin"])
    assert stage.kind == "open" and stage.key is None
    assert _names(ctx["org"]) == ["Received", "Shortlisted", "Interview", "Offer",
                                  "Second interview", "Hired", "Not retained", "Withdrawn"]
    [event] = events(ctx["org"].id, "pipeline.add")
    assert event.data == {"stage_id": stage.id, "name": "Second interview", "email_kind": ""}


def test_add_stage_refuses_empty_name_and_unknown_email(ctx):
    with pytest.raises(PipelineError):
        service.add_stage(ctx["org"], " ", "", actor=ctx["admin"])
    with pytest.raises(PipelineError):
        service.add_stage(ctx["org"], "Call", "nope", actor=ctx["admin"])


def test_move_stage_up_and_down_within_its_group(ctx):
    stages = ctx["stages"]
    assert service.move_stage(stages["interview"], "up", actor=ctx["admin"])
    assert _names(ctx["org"])[:4] == ["Received", "Interview", "Shortlisted", "Offer"]
    assert service.move_stage(stages["interview"], "down", actor=ctx["admin"])
    assert _names(ctx["org"])[:4] == ["Received", "Shortlisted", "Interview", "Offer"]
    [first, _second] = events(ctx["org"].id, "pipeline.reorder")
    assert first.data["direction"] == "up" and first.data["stage_id"] == stages["interview"].id


def test_move_stage_stops_at_the_ends_of_its_group(ctx):
    stages = ctx["stages"]
    assert not service.move_stage(stages["received"], "up", actor=ctx["admin"])
    assert not service.move_stage(stages["offer"], "down", actor=ctx["admin"])  # finals follow
    assert not service.move_stage(stages["hired"], "up", actor=ctx["admin"])
    assert not service.move_stage(stages["withdrawn"], "down", actor=ctx["admin"])
    assert not service.move_stage(stages["offer"], "sideways", actor=ctx["admin"])
    assert events(ctx["org"].id, "pipeline.reorder") == []
    assert service.move_stage(stages["withdrawn"], "up", actor=ctx["admin"])
    assert _names(ctx["org"])[4:] == ["Hired", "Withdrawn", "Not retained"]


def test_delete_an_empty_open_stage(ctx):
    stage = ctx["stages"]["offer"]
    stage_id = stage.id
    service.delete_stage(stage, actor=ctx["admin"])
    assert db.session.get(Stage, stage_id) is None
    assert _names(ctx["org"]) == ["Received", "Shortlisted", "Interview", "Hired",
                                  "Not retained", "Withdrawn"]
    assert [s.position for s in service.pipeline(ctx["org"])] == [0, 1, 2, 3, 4, 5]
    [event] = events(ctx["org"].id, "pipeline.delete")
    assert event.data == {"stage_id": stage_id, "name": "Offer"}


def test_delete_refuses_a_final_stage(ctx):
    with pytest.raises(PipelineError, match="final stage: it can be renamed, not deleted"):
        service.delete_stage(ctx["stages"]["rejected"], actor=ctx["admin"])


def test_delete_refuses_a_stage_holding_applications(ctx):
    application = factories.application(ctx["posting"])
    service.move_application(application, ctx["stages"]["interview"], actor=ctx["admin"])
    with pytest.raises(PipelineError, match="“Interview” holds 1 application: move it"):
        service.delete_stage(ctx["stages"]["interview"], actor=ctx["admin"])
    assert events(ctx["org"].id, "pipeline.delete") == []


def test_delete_refuses_the_last_open_stage(ctx):
    stages = ctx["stages"]
    for key in ("shortlisted", "interview", "offer"):
        service.delete_stage(stages[key], actor=ctx["admin"])
    with pytest.raises(PipelineError, match="only open stage"):
        service.delete_stage(stages["received"], actor=ctx["admin"])


def test_deleting_an_offers_reveal_stage_falls_back(ctx):
    stage = service.add_stage(ctx["org"], "Call", "", actor=ctx["admin"])
    ctx["posting"].reveal_stage_id = stage.id
    db.session.flush()
    service.delete_stage(stage, actor=ctx["admin"])
    db.session.refresh(ctx["posting"])
    assert ctx["posting"].reveal_stage_id is None


# --- Bulk move ------------------------------------------------------------------------------


def test_bulk_move_moves_the_offers_applications_and_reports_the_rest(ctx):
    stages = ctx["stages"]
    first, second, answered = (factories.application(ctx["posting"]) for _ in range(3))
    service.move_application(answered, stages["rejected"], actor=ctx["admin"], reason="late")
    answered.answered_at = utcnow()
    other_offer = factories.posting(ctx["org"])
    foreign = factories.application(other_offer)
    other_org_app = factories.application(factories.posting(factories.organisation()))
    result = service.bulk_move(
        ctx["posting"], [first.id, second.id, answered.id, foreign.id, other_org_app.id, 999999],
        stages["rejected"], actor=ctx["lead"], reason="other_candidate")
    assert [r.application for r in result.moved] == [first, second]
    assert result.refused == [(answered, "The candidate has already been answered: the decision "
                                         "stands.")]
    assert result.missing == 3
    assert foreign.stage_id == stages["received"].id
    assert first.decision_reason == second.decision_reason == "other_candidate"
    moves = events(ctx["org"].id, service.MOVE_ACTION)
    assert [e.object_id for e in moves[-2:]] == [first.id, second.id]


def test_bulk_move_to_rejected_needs_a_reason(ctx):
    application = factories.application(ctx["posting"])
    with pytest.raises(service.MoveError, match="Choose the reason"):
        service.bulk_move(ctx["posting"], [application.id], ctx["stages"]["rejected"],
                          actor=ctx["lead"])
    assert application.decision is None


def test_bulk_move_refuses_another_organisations_stage(ctx):
    application = factories.application(ctx["posting"])
    foreign = stages_by_key(factories.organisation())["interview"]
    with pytest.raises(service.MoveError, match="does not exist"):
        service.bulk_move(ctx["posting"], [application.id], foreign, actor=ctx["lead"])
