"""Reviewing an application through the back office: the form, hidden reviews, who may review."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.review.conftest import EN, ReviewWorld
from tracker.applications.models import Application
from tracker.audit.models import Event
from tracker.db import db
from tracker.postings.models import Posting
from tracker.review import scoring
from tracker.review.models import Review

@pytest.fixture
def world(review_world) -> ReviewWorld:
    return review_world()


def _url(world: ReviewWorld, application_id: int | None = None) -> str:
    return f"/gestion/{world.org}/candidatures/{application_id or world.application_id}/evaluation"


def _page(world: ReviewWorld) -> str:
    return f"/gestion/{world.org}/candidatures/{world.application_id}"


def _review(client, world: ReviewWorld, scores: dict[int, str], recommendation="yes", comment=""):
    data = {f"score_{cid}": value for cid, value in scores.items()}
    data.update(recommendation=recommendation, comment=comment)
    return client.post(_url(world), data=data, headers=EN)


def _application(app, world: ReviewWorld) -> Application:
    with app.app_context():
        item = db.session.get(Application, world.application_id)
        db.session.expunge(item)
        return item


def test_lead_reviews_an_application(app, client, login, world):
    login(world.lead)
    c1, c2, c3, _c4 = world.criteria
    response = _review(client, world, {c1: "4", c2: "2", c3: ""}, "maybe", "Solide <b>ok</b>")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/candidatures/{world.application_id}#scorecard")
    item = _application(app, world)
    assert Decimal(str(item.score)).quantize(Decimal("0.01")) == Decimal("3.00")
    assert item.review_count == 1
    with app.app_context():
        review = db.session.scalar(sa.select(Review))
        assert review.recommendation == "maybe"
        assert review.comment == "Solide <b>ok</b>"
        assert {s.criterion_id: s.score for s in review.scores} == {c1: 4, c2: 2}
        assert db.session.scalar(sa.select(Event.action).where(
            Event.action == "application.review")) == "application.review"
    # The form comes back pre-filled.
    page = client.get(_url(world), headers=EN).get_data(as_text=True)
    assert "Update my review" in page
    assert f'<input checked id="score_{c1}-3" name="score_{c1}" type="radio" value="4">' in page
    assert f'<input checked id="score_{c2}-1" name="score_{c2}" type="radio" value="2">' in page
    assert f'<input checked id="score_{c3}-5" name="score_{c3}" type="radio" value="">' in page
    assert 'checked id="recommendation-1"' in page
    assert "Solide &lt;b&gt;ok&lt;/b&gt;</textarea>" in page


def test_review_without_recommendation_comes_back_with_the_input(app, client, login, world):
    login(world.lead)
    c1 = world.criteria[0]
    response = _review(client, world, {c1: "5"}, recommendation="", comment="Mon avis détaillé")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose a recommendation: yes, maybe or no." in page
    assert "Mon avis détaillé</textarea>" in page
    assert f'<input checked id="score_{c1}-4" name="score_{c1}" type="radio" value="5">' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


@pytest.mark.parametrize("junk", ["9", "0", "-1", "abc", "<script>", "1.5"])
def test_junk_scores_are_refused(app, client, login, world, junk):
    login(world.lead)
    response = _review(client, world, {world.criteria[0]: junk}, "yes")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_junk_recommendation_is_refused(app, client, login, world):
    login(world.lead)
    assert _review(client, world, {}, "absolutely").status_code == 422


def test_withdrawn_application_cannot_be_reviewed(app, client, login, world):
    with app.app_context():
        item = db.session.get(Application, world.application_id)
        item.withdrawn_at = item.submitted_at
        db.session.commit()
    login(world.lead)
    response = _review(client, world, {world.criteria[0]: "3"}, "yes")
    assert response.status_code == 302
    page = client.get(_url(world), headers=EN).get_data(as_text=True)
    assert "The candidate has withdrawn this application: it can no longer be reviewed." in page
    assert 'id="review-form"' not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_lead_of_another_offer_gets_404(app, client, login, world):
    login(world.idle_lead)
    assert _review(client, world, {}, "yes").status_code == 404
    assert client.get(_url(world)).status_code == 404


def test_member_of_another_organisation_gets_404(app, client, login, world, outsider):
    other_slug, email = outsider
    login(email)
    assert client.post(f"/gestion/{other_slug}/candidatures/{world.application_id}/evaluation",
                       data={"recommendation": "yes"}).status_code == 404
    assert _review(client, world, {}, "yes").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_admin_reviews_any_offer_of_the_organisation(app, client, login, world):
    login(world.admin)
    assert _review(client, world, {world.criteria[0]: "2"}, "no").status_code == 302
    assert _application(app, world).review_count == 1


# --- Hidden reviews --------------------------------------------------------------------------


def _second_lead_reviews(app, world: ReviewWorld) -> None:
    with app.app_context():
        from tracker.accounts.models import User

        second = db.session.scalar(sa.select(User).where(User.email == world.second_lead))
        item = db.session.get(Application, world.application_id)
        scoring.save_review(item, second, scores={world.criteria[0]: 1},
                            recommendation="no", comment="Avis-secret-de-Samia")
        db.session.commit()


def _show_reviews_to_all(app, world: ReviewWorld) -> None:
    with app.app_context():
        db.session.get(Posting, world.posting_id).reviews_hidden_until_own = False
        db.session.commit()


@pytest.mark.parametrize("url", [_page, _url])
def test_others_reviews_hidden_until_i_review(app, client, login, world, url):
    _second_lead_reviews(app, world)
    login(world.lead)
    page = client.get(url(world), headers=EN).get_data(as_text=True)
    assert "Avis-secret-de-Samia" not in page
    if url is _url:  # (the application page's history may say who reviewed, not how)
        assert "Samia Second" not in page
    assert 'class="other-review' not in page
    assert "weighted mean" not in page  # the mean would tell the others' scores
    assert "hidden until you have given your own review" in page
    assert "1 review" in page
    # After my own review, the others' show, with their scores and comment.
    assert _review(client, world, {world.criteria[0]: "5"}, "yes").status_code == 302
    page = client.get(url(world), headers=EN).get_data(as_text=True)
    assert "Avis-secret-de-Samia" in page
    assert "Samia Second" in page
    assert "hidden until you have given your own review" not in page
    assert "weighted mean 3.00 / 5" in page
    assert "2 reviews" in page


def test_others_reviews_visible_when_the_offer_does_not_hide_them(app, client, login, world):
    _show_reviews_to_all(app, world)
    _second_lead_reviews(app, world)
    login(world.lead)
    page = client.get(_page(world), headers=EN).get_data(as_text=True)
    assert "Avis-secret-de-Samia" in page
    assert "Samia Second" in page
    assert "weighted mean 1.00 / 5" in page


def test_review_comment_is_escaped_and_keeps_line_breaks(app, client, login, world):
    _show_reviews_to_all(app, world)
    login(world.second_lead)
    _review(client, world, {}, "yes", "Ligne une\n<script>alert(1)</script>")
    client.post("/deconnexion")
    login(world.lead)
    page = client.get(_page(world), headers=EN).get_data(as_text=True)
    assert "Ligne une<br>\n&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_masked_candidate_name_is_blanked_in_review_comments(app, client, login, world):
    with app.app_context():
        db.session.get(Posting, world.posting_id).anonymised = True
        db.session.get(Posting, world.posting_id).reviews_hidden_until_own = False
        db.session.commit()
    login(world.second_lead)
    _review(client, world, {}, "yes", "Léa Martin écrit bien")
    client.post("/deconnexion")
    login(world.lead)
    page = client.get(_url(world), headers=EN).get_data(as_text=True)
    assert "Martin" not in page
    assert "[…] […] écrit bien" in page


def test_control_characters_are_dropped_from_review_comments(app, client, login, world):
    login(world.lead)
    assert _review(client, world, {}, "yes", "bien\x00\x1b vu").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Review.comment)) == "bien vu"
