"""Admin pages of an offer: its reviewers, its review settings and its scorecard."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.review.conftest import EN, ReviewWorld
from tracker.accounts.models import Role, User
from tracker.applications.models import Application
from tracker.audit.models import Event
from tracker.db import db
from tracker.postings.models import Posting
from tracker.review import scoring
from tracker.review.models import Criterion, PostingReviewer, Stage

@pytest.fixture
def world(review_world) -> ReviewWorld:
    """One reviewer (the lead); "Mona Member" is a lead who does not review the offer."""
    return review_world(second_lead=False, idle_name="Mona Member")


def _base(world: ReviewWorld) -> str:
    return f"/gestion/{world.org}/offres/{world.posting_id}"


def _settings_data(app, world: ReviewWorld, **changes) -> dict:
    """The settings form as the page sends it, unchanged, then ``changes`` applied."""
    with app.app_context():
        posting = db.session.get(Posting, world.posting_id)
        stages = scoring.open_stages(posting.organisation_id)
        reveal = scoring.reveal_stage(posting, stages)
        data = {"reveal_stage_id": str(reveal.id), "reviews_hidden_until_own": "y"}
        if posting.anonymised:
            data["anonymised"] = "y"
        for index, criterion in enumerate(scoring.criteria(posting)):
            data[f"criteria-{index}-id"] = str(criterion.id)
            data[f"criteria-{index}-name"] = criterion.name
            data[f"criteria-{index}-weight"] = str(criterion.weight)
            data[f"criteria-{index}-rank"] = str(index + 1)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- Who may open the pages ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/evaluateurs", "/evaluation"])
def test_lead_gets_403_on_admin_pages(app, client, login, world, path):
    login(world.lead)
    assert client.get(_base(world) + path).status_code == 403
    assert client.post(_base(world) + path, data={}).status_code == 403


def test_lead_gets_403_on_admin_actions(app, client, login, world):
    login(world.lead)
    base = _base(world)
    assert client.post(f"{base}/evaluateurs/{world.idle_lead_id}/retirer").status_code == 403
    assert client.post(f"{base}/evaluation/criteres", data={"name": "X"}).status_code == 403
    assert client.post(f"{base}/evaluation/criteres/{world.criteria[0]}/supprimer",
                       data={"confirm": "yes"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Criterion.id)).where(
            Criterion.posting_id == world.posting_id)) == 4


def test_offer_page_links_to_the_review_pages_for_admins_only(app, client, login, world):
    login(world.admin)
    page = client.get(_base(world), headers=EN).get_data(as_text=True)
    assert f'href="{_base(world)}/evaluateurs"' in page
    assert f'href="{_base(world)}/evaluation"' in page
    client.post("/deconnexion")
    login(world.lead)
    page = client.get(_base(world), headers=EN).get_data(as_text=True)
    assert f'href="{_base(world)}/evaluateurs"' not in page


# --- Reviewers -------------------------------------------------------------------------------


def test_reviewers_page_lists_and_adds(app, client, login, world):
    login(world.admin)
    page = client.get(_base(world) + "/evaluateurs", headers=EN).get_data(as_text=True)
    assert "Louis Lead" in page
    assert f'<option value="{world.idle_lead_id}">Mona Member' in page
    response = client.post(_base(world) + "/evaluateurs", data={"user_id": world.idle_lead_id},
                           headers=EN, follow_redirects=True)
    assert "Mona Member now reviews this offer." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(PostingReviewer.active).where(
            PostingReviewer.user_id == world.idle_lead_id)) is True


def test_remove_then_add_again_reactivates(app, client, login, world):
    login(world.admin)
    with app.app_context():
        lead_id = db.session.scalar(sa.select(User.id).where(User.email == world.lead))
    response = client.post(f"{_base(world)}/evaluateurs/{lead_id}/retirer", headers=EN,
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Louis Lead no longer reviews this offer. Their reviews are kept." in page
    # The removed lead no longer sees the offer.
    client.post("/deconnexion")
    login(world.lead)
    assert client.get(_base(world)).status_code == 404
    client.post("/deconnexion")
    login(world.admin)
    client.post(_base(world) + "/evaluateurs", data={"user_id": lead_id})
    with app.app_context():
        rows = db.session.scalars(sa.select(PostingReviewer).where(
            PostingReviewer.user_id == lead_id)).all()
        assert [r.active for r in rows] == [True]
        actions = db.session.scalars(sa.select(Event.action).where(
            Event.action.like("posting.reviewer%")).order_by(Event.id)).all()
        assert actions == ["posting.reviewer_remove", "posting.reviewer_add"]


@pytest.mark.parametrize("value", ["", "abc", "999999", "-1", "<b>"])
def test_adding_a_junk_or_foreign_reviewer_is_refused(app, client, login, world, value):
    login(world.admin)
    response = client.post(_base(world) + "/evaluateurs", data={"user_id": value}, headers=EN)
    assert response.status_code in (302, 422)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(PostingReviewer.id))) == 1


def test_adding_a_member_of_another_organisation_is_refused(app, client, login, world):
    with app.app_context():
        outsider = factories.user(factories.organisation(), Role.ADMIN)
        db.session.commit()
        outsider_id = outsider.id
    login(world.admin)
    response = client.post(_base(world) + "/evaluateurs", data={"user_id": outsider_id},
                           headers=EN)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(PostingReviewer.id)).where(
            PostingReviewer.user_id == outsider_id)) == 0


def test_removing_someone_who_does_not_review_says_so(app, client, login, world):
    login(world.admin)
    response = client.post(f"{_base(world)}/evaluateurs/{world.idle_lead_id}/retirer",
                           headers=EN, follow_redirects=True)
    assert "This member does not review this offer." in response.get_data(as_text=True)


# --- Settings --------------------------------------------------------------------------------


def test_settings_page_shows_defaults(app, client, login, world):
    login(world.admin)
    page = client.get(_base(world) + "/evaluation", headers=EN).get_data(as_text=True)
    with app.app_context():
        interview = db.session.scalar(sa.select(Stage.id).where(Stage.key == "interview"))
        hired = db.session.scalar(sa.select(Stage.id).where(Stage.key == "hired"))
    assert f'<option selected value="{interview}">' in page
    assert f'value="{hired}"' not in page  # only open stages reveal
    assert 'checked id="reviews_hidden_until_own"' in page
    assert 'value="Motivation"' in page


def test_settings_save_and_are_audited(app, client, login, world):
    login(world.admin)
    with app.app_context():
        shortlisted = db.session.scalar(sa.select(Stage.id).where(Stage.key == "shortlisted"))
    data = _settings_data(app, world, anonymised="y", reveal_stage_id=str(shortlisted),
                          reviews_hidden_until_own=None)
    response = client.post(_base(world) + "/evaluation", data=data, headers=EN,
                           follow_redirects=True)
    assert "Review settings saved." in response.get_data(as_text=True)
    with app.app_context():
        posting = db.session.get(Posting, world.posting_id)
        assert posting.anonymised is True
        assert posting.reveal_stage_id == shortlisted
        assert posting.reviews_hidden_until_own is False
        event = db.session.scalar(sa.select(Event).where(
            Event.action == "posting.review_settings"))
        assert sorted(event.data["fields"]) == ["anonymised", "reveal_stage_id",
                                                "reviews_hidden_until_own"]
    # Sent again unchanged: nothing to save.
    response = client.post(_base(world) + "/evaluation",
                           data=_settings_data(app, world, reviews_hidden_until_own=None),
                           headers=EN, follow_redirects=True)
    assert "Nothing to save" in response.get_data(as_text=True)


def test_settings_refuse_a_final_or_foreign_reveal_stage(app, client, login, world):
    with app.app_context():
        hired = db.session.scalar(sa.select(Stage.id).where(Stage.key == "hired"))
    login(world.admin)
    for value in (str(hired), "999999", "abc", ""):
        response = client.post(_base(world) + "/evaluation",
                               data=_settings_data(app, world, anonymised="y",
                                                   reveal_stage_id=value), headers=EN)
        assert response.status_code == 422, value
    with app.app_context():
        assert db.session.get(Posting, world.posting_id).anonymised is False


def _admin_reviews(app, world: ReviewWorld) -> None:
    """The admin scores the application: 5 on the first criterion, 1 on the second."""
    c1, c2, _c3, _c4 = world.criteria
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == world.admin))
        item = db.session.get(Application, world.application_id)
        scoring.save_review(item, admin, scores={c1: 5, c2: 1}, recommendation="yes")
        db.session.commit()


def test_weight_change_recomputes_scores(app, client, login, world):
    c1 = world.criteria[0]
    _admin_reviews(app, world)
    login(world.admin)
    response = client.post(_base(world) + "/evaluation",
                           data=_settings_data(app, world, **{"criteria-0-weight": "3"}))
    assert response.status_code == 302
    with app.app_context():
        score = db.session.get(Application, world.application_id).score
        assert Decimal(str(score)).quantize(Decimal("0.01")) == Decimal("4.00")  # (15+1)/4
        assert db.session.get(Criterion, c1).weight == 3


def test_rename_and_reorder_criteria(app, client, login, world):
    login(world.admin)
    data = _settings_data(app, world, **{"criteria-0-name": "Envie", "criteria-0-rank": "9"})
    assert client.post(_base(world) + "/evaluation", data=data).status_code == 302
    with app.app_context():
        names = [c.name for c in scoring.criteria(world.posting_id)]
    assert names == ["Expérience", "Compétences", "Adéquation au poste", "Envie"]


@pytest.mark.parametrize("changes, message", [
    ({"criteria-1-weight": "0"}, "A weight is a whole number from 1 to 10."),
    ({"criteria-1-weight": "11"}, "A weight is a whole number from 1 to 10."),
    ({"criteria-1-weight": "abc"}, "A weight is a whole number from 1 to 10."),
    ({"criteria-1-weight": ""}, "A weight is a whole number from 1 to 10."),
    ({"criteria-2-name": ""}, "Every criterion needs a name."),
    ({"criteria-2-name": "x" * 121}, "Field cannot be longer than 120 characters."),
])
def test_invalid_criteria_are_refused_with_a_message(app, client, login, world, changes,
                                                     message):
    login(world.admin)
    response = client.post(_base(world) + "/evaluation",
                           data=_settings_data(app, world, **changes), headers=EN)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        weights = [(c.name, c.weight) for c in scoring.criteria(world.posting_id)]
    assert weights == [("Motivation", 1), ("Expérience", 1), ("Compétences", 1),
                       ("Adéquation au poste", 1)]


def test_criterion_of_another_offer_is_ignored_in_the_settings_form(app, client, login, world):
    with app.app_context():
        other = factories.posting(db.session.get(Posting, world.posting_id).organisation)
        foreign = scoring.criteria(other)[0].id
        db.session.commit()
    login(world.admin)
    data = _settings_data(app, world, **{"criteria-0-id": str(foreign),
                                         "criteria-0-name": "Piraté"})
    assert client.post(_base(world) + "/evaluation", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Criterion, foreign).name != "Piraté"


def test_add_criterion(app, client, login, world):
    login(world.admin)
    response = client.post(_base(world) + "/evaluation/criteres",
                           data={"name": "Qualité de l'écrit", "weight": "2"}, headers=EN,
                           follow_redirects=True)
    assert "Criterion “Qualité de l&#39;écrit” added." in response.get_data(as_text=True)
    with app.app_context():
        last = scoring.criteria(world.posting_id)[-1]
        assert (last.name, last.weight, last.position) == ("Qualité de l'écrit", 2, 4)


@pytest.mark.parametrize("data", [{}, {"name": "", "weight": "1"}, {"name": "X", "weight": "0"},
                                  {"name": "X", "weight": "11"}, {"name": "X", "weight": "z"}])
def test_add_criterion_refuses_invalid_input(app, client, login, world, data):
    login(world.admin)
    response = client.post(_base(world) + "/evaluation/criteres", data=data, headers=EN)
    assert response.status_code == 422
    with app.app_context():
        assert len(scoring.criteria(world.posting_id)) == 4


def test_delete_criterion_without_scores(app, client, login, world):
    login(world.admin)
    response = client.post(f"{_base(world)}/evaluation/criteres/{world.criteria[1]}/supprimer",
                           headers=EN, follow_redirects=True)
    assert "Criterion “Expérience” deleted." in response.get_data(as_text=True)
    with app.app_context():
        assert [c.id for c in scoring.criteria(world.posting_id)] == [
            world.criteria[0], world.criteria[2], world.criteria[3]]


def test_delete_criterion_with_scores_asks_for_confirmation(app, client, login, world):
    c2 = world.criteria[1]
    _admin_reviews(app, world)
    login(world.admin)
    url = f"{_base(world)}/evaluation/criteres/{c2}/supprimer"
    response = client.post(url, headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Delete the criterion “Expérience”?" in page
    assert "1 score was already given for this criterion." in page
    with app.app_context():
        assert db.session.get(Criterion, c2) is not None
    response = client.post(url, data={"confirm": "yes"}, headers=EN, follow_redirects=True)
    assert "deleted with its scores; the scores were recomputed." in response.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.get(Criterion, c2) is None
        score = db.session.get(Application, world.application_id).score
        assert Decimal(str(score)).quantize(Decimal("0.01")) == Decimal("5.00")


def test_criterion_of_another_offer_is_404(app, client, login, world):
    with app.app_context():
        other = factories.posting(db.session.get(Posting, world.posting_id).organisation)
        foreign = scoring.criteria(other)[0].id
        db.session.commit()
    login(world.admin)
    response = client.post(f"{_base(world)}/evaluation/criteres/{foreign}/supprimer",
                           data={"confirm": "yes"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Criterion, foreign) is not None


def test_control_characters_are_dropped_from_criterion_names(app, client, login, world):
    login(world.admin)
    client.post(_base(world) + "/evaluation/criteres", data={"name": "Ora\x00l\x1b", "weight": "1"})
    data = _settings_data(app, world, **{"criteria-0-name": "Moti\x00vation"})
    assert client.post(_base(world) + "/evaluation", data=data).status_code == 302
    with app.app_context():
        names = [c.name for c in scoring.criteria(world.posting_id)]
    assert names[0] == "Motivation" and names[-1] == "Oral"
