"""Scoring services: the weighted mean, the application's mean, recomputation, reviewers."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests import factories
from tracker.accounts.models import Role
from tracker.applications.models import Application
from tracker.audit.models import Event
from tracker.db import db
from tracker.postings.models import PostingStatus
from tracker.review import scoring
from tracker.review.models import PostingReviewer, Review, ReviewScore, Stage


def _world():
    org = factories.organisation()
    admin = factories.user(org, Role.ADMIN)
    lead = factories.user(org, Role.LEAD)
    posting = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin)
    application = factories.application(posting)
    return org, admin, lead, posting, application


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def test_new_offer_has_four_criteria_of_weight_one(app):
    with app.app_context():
        _org, _admin, _lead, posting, _application = _world()
        found = scoring.criteria(posting)
        assert [c.name for c in found] == ["Motivation", "Expérience", "Compétences",
                                           "Adéquation au poste"]
        assert [c.weight for c in found] == [1, 1, 1, 1]


def test_review_score_is_the_weighted_mean_of_scored_criteria(app):
    with app.app_context():
        _org, admin, _lead, posting, application = _world()
        c1, c2, c3, c4 = scoring.criteria(posting)
        c1.weight, c2.weight = 3, 1
        review = scoring.save_review(application, admin,
                                     scores={c1.id: 5, c2.id: 1, c3.id: None},
                                     recommendation="yes", comment=" Bien ")
        db.session.commit()
        review = db.session.get(Review, review.id)
        # (5*3 + 1*1) / (3+1) = 4.00; c3 left unscored, c4 not sent.
        assert _dec(review.score) == Decimal("4.00")
        assert review.comment == "Bien"
        assert review.recommendation == "yes"
        assert sorted(s.score for s in review.scores) == [1, 5]
        application = db.session.get(Application, application.id)
        assert _dec(application.score) == Decimal("4.00")
        assert application.review_count == 1


def test_review_score_rounds_to_two_decimals(app):
    with app.app_context():
        _org, admin, _lead, posting, application = _world()
        c1, c2, c3, _c4 = scoring.criteria(posting)
        scoring.save_review(application, admin, scores={c1.id: 4, c2.id: 4, c3.id: 5},
                            recommendation="maybe")
        db.session.commit()
        # 13 / 3 = 4.333...
        assert _dec(db.session.get(Application, application.id).score) == Decimal("4.33")


def test_review_without_any_score_counts_but_has_no_score(app):
    with app.app_context():
        _org, admin, lead, posting, application = _world()
        c1 = scoring.criteria(posting)[0]
        scoring.save_review(application, admin, scores={}, recommendation="no")
        db.session.commit()
        application = db.session.get(Application, application.id)
        assert application.score is None
        assert application.review_count == 1
        scoring.save_review(application, lead, scores={c1.id: 2}, recommendation="no")
        db.session.commit()
        application = db.session.get(Application, application.id)
        assert _dec(application.score) == Decimal("2.00")  # the unscored review does not count
        assert application.review_count == 2


def test_application_score_is_the_mean_of_several_reviews(app):
    with app.app_context():
        org, admin, lead, posting, application = _world()
        other = factories.user(org, Role.LEAD)
        c1, c2, _c3, _c4 = scoring.criteria(posting)
        c2.weight = 2
        scoring.save_review(application, admin, scores={c1.id: 5, c2.id: 2},
                            recommendation="yes")  # (5 + 4) / 3 = 3.00
        scoring.save_review(application, lead, scores={c1.id: 4}, recommendation="maybe")  # 4
        scoring.save_review(application, other, scores={c2.id: 1}, recommendation="no")  # 1
        db.session.commit()
        application = db.session.get(Application, application.id)
        assert application.review_count == 3
        assert _dec(application.score) == Decimal("2.67")  # (3 + 4 + 1) / 3


def test_updating_a_review_replaces_its_scores(app):
    with app.app_context():
        _org, admin, _lead, posting, application = _world()
        c1, c2, c3, _c4 = scoring.criteria(posting)
        first = scoring.save_review(application, admin, scores={c1.id: 1, c2.id: 1},
                                    recommendation="no", comment="Hmm")
        db.session.commit()
        again = scoring.save_review(application, admin, scores={c2.id: 5, c3.id: 3},
                                    recommendation="yes", comment="")
        db.session.commit()
        assert again.id == first.id
        rows = db.session.execute(
            sa.select(ReviewScore.criterion_id, ReviewScore.score)
            .where(ReviewScore.review_id == first.id).order_by(ReviewScore.criterion_id)
        ).all()
        assert [tuple(r) for r in rows] == [(c2.id, 5), (c3.id, 3)]
        application = db.session.get(Application, application.id)
        assert application.review_count == 1
        assert _dec(application.score) == Decimal("4.00")
        actions = db.session.scalars(
            sa.select(Event.action).where(Event.action.like("application.review%"))
            .order_by(Event.id)).all()
        assert actions == ["application.review", "application.review_edit"]


def test_scores_out_of_range_or_of_another_offer_are_ignored(app):
    with app.app_context():
        org, admin, _lead, posting, application = _world()
        foreign = scoring.criteria(factories.posting(org))[0]
        c1 = scoring.criteria(posting)[0]
        review = scoring.save_review(application, admin,
                                     scores={c1.id: 9, foreign.id: 3, 999_999: 2},
                                     recommendation="maybe")
        db.session.commit()
        assert db.session.get(Review, review.id).scores == []


def test_recommendation_is_required(app):
    with app.app_context():
        _org, admin, _lead, _posting, application = _world()
        with force_locale("en"), pytest.raises(scoring.ScoringError, match="recommendation"):
            scoring.save_review(application, admin, scores={}, recommendation="")


def test_withdrawn_application_cannot_be_reviewed(app):
    with app.app_context():
        _org, admin, _lead, _posting, application = _world()
        application.withdrawn_at = application.submitted_at
        with force_locale("en"), pytest.raises(scoring.ScoringError, match="withdrawn"):
            scoring.save_review(application, admin, scores={}, recommendation="yes")
        assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_weight_change_recomputes_every_review_and_application(app, queries):
    with app.app_context():
        org, admin, lead, posting, first = _world()
        second = factories.application(posting)
        untouched = factories.application(factories.posting(org))
        c1, c2, _c3, _c4 = scoring.criteria(posting)
        scoring.save_review(first, admin, scores={c1.id: 5, c2.id: 1}, recommendation="yes")
        scoring.save_review(first, lead, scores={c1.id: 4, c2.id: 2}, recommendation="yes")
        scoring.save_review(second, admin, scores={c1.id: 1, c2.id: 5}, recommendation="no")
        other_c = scoring.criteria(untouched.posting_id)[0]
        scoring.save_review(untouched, admin, scores={other_c.id: 2}, recommendation="no")
        db.session.commit()
        assert _dec(db.session.get(Application, first.id).score) == Decimal("3.00")
        rows = [scoring.CriterionInput(id=c.id, name=c.name, weight=c.weight)
                for c in scoring.criteria(posting)]
        rows[0].weight = 3
        with queries() as count:
            assert scoring.update_criteria(posting, rows, actor=admin) is True
        statements = count()
        db.session.commit()
        # first: (15+1)/4 = 4.00 and (12+2)/4 = 3.50 -> 3.75; second: (3+5)/4 = 2.00
        assert _dec(db.session.get(Application, first.id).score) == Decimal("3.75")
        assert _dec(db.session.get(Application, second.id).score) == Decimal("2.00")
        assert _dec(db.session.get(Application, untouched.id).score) == Decimal("2.00")
        scores = db.session.scalars(sa.select(Review.score).join(Application)
                                    .where(Application.posting_id == posting.id)
                                    .order_by(Review.id)).all()
        assert [_dec(s) for s in scores] == [Decimal("4.00"), Decimal("3.50"), Decimal("2.00")]
    # The recomputation does not grow with the number of applications: a handful of
    # statements (criteria read, criteria update, two recomputing UPDATEs, the event).
    assert statements <= 8


def test_reorder_and_rename_criteria(app):
    with app.app_context():
        _org, admin, _lead, posting, _application = _world()
        c1, c2, c3, c4 = scoring.criteria(posting)
        rows = [scoring.CriterionInput(c1.id, "Motivation", 1, rank=4),
                scoring.CriterionInput(c2.id, "Parcours", 1, rank=1),
                scoring.CriterionInput(c3.id, "Compétences", 1, rank=2),
                scoring.CriterionInput(c4.id, "Adéquation au poste", 1, rank=3)]
        assert scoring.update_criteria(posting, rows, actor=admin)
        db.session.commit()
        assert [c.name for c in scoring.criteria(posting)] == [
            "Parcours", "Compétences", "Adéquation au poste", "Motivation"]
        assert [c.position for c in scoring.criteria(posting)] == [0, 1, 2, 3]
        # The same rows again: nothing changes, no event.
        events = db.session.scalar(sa.select(sa.func.count(Event.id))
                                   .where(Event.action == "posting.criteria"))
        rows = [scoring.CriterionInput(c.id, c.name, c.weight) for c in scoring.criteria(posting)]
        assert scoring.update_criteria(posting, rows, actor=admin) is False
        assert db.session.scalar(sa.select(sa.func.count(Event.id))
                                 .where(Event.action == "posting.criteria")) == events


@pytest.mark.parametrize("name, weight", [("", 1), ("  ", 2), ("Ok", 0), ("Ok", 11),
                                          ("x" * 121, 1)])
def test_invalid_criteria_are_refused(app, name, weight):
    with app.app_context():
        _org, admin, _lead, posting, _application = _world()
        c1 = scoring.criteria(posting)[0]
        with pytest.raises(scoring.ScoringError):
            scoring.update_criteria(posting, [scoring.CriterionInput(c1.id, name, weight)],
                                    actor=admin)
        with pytest.raises(scoring.ScoringError):
            scoring.add_criterion(posting, name=name, weight=weight, actor=admin)


def test_add_criterion_goes_last(app):
    with app.app_context():
        _org, admin, _lead, posting, _application = _world()
        added = scoring.add_criterion(posting, name=" Écrit ", weight=2, actor=admin)
        db.session.commit()
        assert [c.name for c in scoring.criteria(posting)][-1] == "Écrit"
        assert added.position == 4 and added.weight == 2


def test_delete_criterion_with_scores_recomputes(app):
    with app.app_context():
        _org, admin, _lead, posting, application = _world()
        c1, c2, _c3, _c4 = scoring.criteria(posting)
        scoring.save_review(application, admin, scores={c1.id: 5, c2.id: 1},
                            recommendation="yes")
        db.session.commit()
        assert _dec(db.session.get(Application, application.id).score) == Decimal("3.00")
        assert scoring.score_count(c2) == 1
        assert scoring.delete_criterion(posting, c2, actor=admin) == 1
        db.session.commit()
        assert _dec(db.session.get(Application, application.id).score) == Decimal("5.00")
        assert [c.position for c in scoring.criteria(posting)] == [0, 1, 2]
        # The last score gone: the review stays (recommendation), without a score.
        scoring.delete_criterion(posting, scoring.criteria(posting)[0], actor=admin)
        db.session.commit()
        application = db.session.get(Application, application.id)
        assert application.score is None and application.review_count == 1


def test_add_and_remove_reviewers(app):
    with app.app_context():
        org, admin, lead, posting, _application = _world()
        outsider = factories.user(factories.organisation(), Role.ADMIN)
        assert lead in scoring.addable_members(posting)
        scoring.add_reviewer(posting, lead.id, actor=admin)
        db.session.commit()
        assert [r.user.id for r in scoring.reviewer_rows(posting)] == [lead.id]
        assert lead not in scoring.addable_members(posting)
        with force_locale("en"), pytest.raises(scoring.ScoringError, match="already"):
            scoring.add_reviewer(posting, lead.id, actor=admin)
        with pytest.raises(scoring.ScoringError):
            scoring.add_reviewer(posting, outsider.id, actor=admin)
        scoring.remove_reviewer(posting, lead.id, actor=admin)
        db.session.commit()
        assert scoring.reviewer_rows(posting) == []
        row = db.session.scalar(sa.select(PostingReviewer).where(
            PostingReviewer.posting_id == posting.id, PostingReviewer.user_id == lead.id))
        assert row.active is False
        with pytest.raises(scoring.ScoringError):
            scoring.remove_reviewer(posting, lead.id, actor=admin)
        scoring.add_reviewer(posting, lead.id, actor=admin)  # reactivated, same row
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(PostingReviewer.id)).where(
            PostingReviewer.posting_id == posting.id)) == 1
        actions = db.session.scalars(sa.select(Event.action).where(
            Event.object_type == "posting", Event.object_id == posting.id,
            Event.action.like("posting.reviewer%")).order_by(Event.id)).all()
        assert actions == ["posting.reviewer_add", "posting.reviewer_remove",
                           "posting.reviewer_add"]


def test_turning_anonymisation_on_reveals_applications_past_the_reveal_stage(app):
    with app.app_context():
        org, admin, _lead, posting, early = _world()
        late = factories.application(posting)
        interview = db.session.scalar(sa.select(Stage).where(Stage.organisation_id == org.id,
                                                             Stage.key == "interview"))
        late.stage = interview
        db.session.flush()
        changed = scoring.update_settings(posting, actor=admin, anonymised=True,
                                          reveal_stage_id=None, reviews_hidden_until_own=True)
        db.session.commit()
        assert changed == ["anonymised"]
        assert db.session.get(Application, early.id).revealed_at is None
        assert db.session.get(Application, late.id).revealed_at is not None
        with pytest.raises(scoring.ScoringError):
            scoring.update_settings(posting, actor=admin, anonymised=True,
                                    reveal_stage_id=999_999, reviews_hidden_until_own=True)
