"""Answer drafts: queued by a stage move, edited, sent, discarded; the bulk answer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import factories
from tracker.audit.models import Event
from tracker.db import db
from tracker.mail.models import Message, MessageStatus
from tracker.postings.models import PostingStatus
from tracker.review import answers
from tracker.review.models import StageKind
from tracker.review.stages import move_application, stage_of_kind


def _world(locale="fr", anonymised=False):
    org = factories.organisation()
    admin = factories.user(org)
    posting = factories.posting(org, status=PostingStatus.PUBLISHED, anonymised=anonymised)
    application = factories.application(posting, email="lea.martin@example.com",
                                        locale=locale)
    return org, admin, posting, application


def _reject(application, admin, reason="profile"):
    target = stage_of_kind(application.organisation_id, StageKind.REJECTED)
    return move_application(application, target, actor=admin, reason=reason)


def _drafts(application_id):
    return list(db.session.scalars(sa.select(Message).where(
        Message.application_id == application_id, Message.status == MessageStatus.DRAFT)))


def test_moving_to_not_retained_queues_a_draft_in_the_candidates_language(app):
    with app.app_context():
        org, admin, posting, application = _world(locale="en")
        result = _reject(application, admin, reason="other_candidate")
        draft = result.draft
        assert draft is not None and draft.status == MessageStatus.DRAFT
        assert draft.kind == "answer.not_retained"
        assert draft.recipients == ["lea.martin@example.com"]
        assert (draft.posting_id, draft.application_id) == (posting.id, application.id)
        assert draft.locale == "en"
        assert draft.subject == f"Your application: {posting.title}"
        assert "Hello Léa Martin" in draft.body_text
        # The internal reason is not told by the default template.
        assert "Another candidate was preferred" not in draft.body_text
        assert application.answered_at is None
        actions = db.session.scalars(sa.select(Event.action).where(
            Event.object_id == application.id, Event.object_type == "application")).all()
        assert "message.draft" in actions


def test_french_draft_and_organisation_template_with_reason(app):
    from tracker.mail.services import save_template

    with app.app_context():
        org, admin, posting, application = _world()
        save_template(org, "answer.not_retained", "fr", subject="Réponse {{ reference }}",
                      body="Motif : {{ reason }}", actor=admin)
        draft = _reject(application, admin, reason="late").draft
        assert draft.subject == f"Réponse {application.reference}"
        assert draft.body_text.startswith("Motif : ")
        assert len(draft.body_text.strip()) > len("Motif : ")


def test_hired_queues_the_retained_answer(app):
    with app.app_context():
        org, admin, posting, application = _world()
        hired = stage_of_kind(org.id, StageKind.HIRED)
        draft = move_application(application, hired, actor=admin).draft
        assert draft.kind == "answer.retained"
        assert "Félicitations" in draft.body_text


def test_a_second_draft_of_the_same_kind_replaces_the_first(app):
    with app.app_context():
        org, admin, posting, application = _world()
        first = _reject(application, admin).draft
        second = answers.queue_stage_email(application, application.stage, actor=admin)
        assert second.id != first.id
        assert first.status == MessageStatus.DISCARDED
        assert [m.id for m in _drafts(application.id)] == [second.id]


def test_send_draft_sets_answered_at_and_blocks_further_moves(app):
    with app.app_context():
        org, admin, posting, application = _world()
        draft = _reject(application, admin).draft
        answers.send_draft(draft, actor=admin)
        assert draft.status == MessageStatus.PENDING
        assert draft.next_try_at is not None
        assert application.answered_at is not None
        with pytest.raises(answers.AnswerError):
            answers.send_draft(draft, actor=admin)
        with pytest.raises(answers.AnswerError):
            answers.discard_draft(draft, actor=admin)
        with pytest.raises(answers.AnswerError):
            answers.edit_draft(draft, "x", "y", actor=admin)


def test_edit_and_discard(app):
    with app.app_context():
        org, admin, posting, application = _world()
        draft = _reject(application, admin).draft
        answers.edit_draft(draft, "  New\nsubject ", "Dear candidate,\r\n\r\n- one\n",
                           actor=admin)
        assert draft.subject == "New subject"
        assert draft.body_text == "Dear candidate,\n\n- one\n"
        assert "<li" in draft.body_html
        with pytest.raises(answers.AnswerError):
            answers.edit_draft(draft, "", "body", actor=admin)
        with pytest.raises(answers.AnswerError):
            answers.edit_draft(draft, "subject", "  \n", actor=admin)
        answers.discard_draft(draft, actor=admin)
        assert draft.status == MessageStatus.DISCARDED
        assert application.answered_at is None


def test_send_all_drafts_of_an_offer_only(app):
    with app.app_context():
        org, admin, posting, first = _world()
        second = factories.application(posting)
        other = factories.application(factories.posting(org, status=PostingStatus.PUBLISHED))
        for application in (first, second, other):
            _reject(application, admin)
        assert answers.send_all_drafts(posting, actor=admin) == 2
        assert first.answered_at and second.answered_at
        assert other.answered_at is None
        assert len(_drafts(other.id)) == 1


def test_answer_not_retained_is_idempotent(app):
    with app.app_context():
        org, admin, posting, first = _world()
        second = factories.application(posting)
        answered = factories.application(posting)
        waiting = factories.application(posting)  # still open: not concerned
        rejected = stage_of_kind(org.id, StageKind.REJECTED)
        for application in (first, second, answered):
            move_application(application, rejected, actor=admin, reason="profile",
                             queue_email=False)
        answers.send_draft(answers.queue_answer(answered, "answer.not_retained", actor=admin),
                           actor=admin)
        assert answers.answer_counts(posting).not_retained_to_answer == 2
        drafts = answers.answer_not_retained(posting, actor=admin)
        assert sorted(d.application_id for d in drafts) == sorted([first.id, second.id])
        assert answers.answer_not_retained(posting, actor=admin) == []
        counts = answers.answer_counts(posting)
        assert (counts.unanswered, counts.drafts, counts.not_retained_to_answer) == (3, 2, 0)
        assert _drafts(waiting.id) == []


def test_leaving_the_final_stage_discards_the_draft(app):
    with app.app_context():
        org, admin, posting, application = _world()
        draft = _reject(application, admin).draft
        move_application(application, stage_of_kind(org.id, StageKind.OPEN), actor=admin)
        assert draft.status == MessageStatus.DISCARDED


def test_identity_placeholders_round_trip_while_masked(app):
    with app.app_context():
        org, admin, posting, application = _world(anonymised=True)
        draft = _reject(application, admin).draft
        shown = answers.hide_identity(draft.body_text, application)
        assert "Léa" not in shown and "Martin" not in shown
        assert "{{ candidate_first_name }} {{ candidate_last_name }}" in shown
        assert answers.restore_identity(shown, application) == draft.body_text
