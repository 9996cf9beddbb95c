"""Internal comments on an application: add, show (escaped, newest last), delete."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.review.conftest import EN, ReviewWorld
from tracker.accounts.models import User
from tracker.audit.models import Event
from tracker.db import db, utcnow
from tracker.review.models import Comment


@dataclass
class World(ReviewWorld):
    comment_id: int  # by the second lead


@pytest.fixture
def world(app, review_world) -> World:
    base = review_world()
    with app.app_context():
        second = db.session.scalar(sa.select(User.id).where(User.email == base.second_lead))
        comment = Comment(application_id=base.application_id, author_id=second,
                          body="Premier avis", created_at=utcnow() - timedelta(hours=1))
        db.session.add(comment)
        db.session.commit()
        return World(**asdict(base), comment_id=comment.id)


def _base(world: World) -> str:
    return f"/gestion/{world.org}/candidatures/{world.application_id}"


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Comment.id)))


def test_lead_adds_a_comment_shown_escaped_with_line_breaks_newest_last(app, client, login,
                                                                         world):
    login(world.lead)
    response = client.post(_base(world) + "/commentaires",
                           data={"body": "  Ligne 1\n<script>alert('x')</script>  "}, headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{_base(world)}#comments")
    page = client.get(_base(world), headers=EN).get_data(as_text=True)
    assert "Ligne 1<br>\n&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<script>alert('x')" not in page
    assert page.index("Premier avis") < page.index("Ligne 1")
    with app.app_context():
        comment = db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()))
        assert comment.body == "Ligne 1\n<script>alert('x')</script>"
        event = db.session.scalar(sa.select(Event).where(Event.action == "application.comment"))
        assert event.data == {"comment_id": comment.id}


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 10_001, "\x00\x1b"])
def test_empty_or_too_long_comment_is_refused(app, client, login, world, body):
    login(world.lead)
    response = client.post(_base(world) + "/commentaires", data={"body": body}, headers=EN,
                           follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ("Write something before adding a comment." in page
            or "Field cannot be longer than 10000 characters." in page)
    assert _count(app) == 1


def test_author_deletes_their_comment(app, client, login, world):
    login(world.second_lead)
    page = client.get(_base(world), headers=EN).get_data(as_text=True)
    assert f"/commentaires/{world.comment_id}/supprimer" in page
    response = client.post(f"{_base(world)}/commentaires/{world.comment_id}/supprimer",
                           headers=EN, follow_redirects=True)
    assert "Comment deleted." in response.get_data(as_text=True)
    assert _count(app) == 0
    with app.app_context():
        assert db.session.scalar(sa.select(Event.action).where(
            Event.object_type == "application",
            Event.action == "comment.delete")) == "comment.delete"


def test_other_lead_cannot_delete_a_comment(app, client, login, world):
    login(world.lead)
    page = client.get(_base(world), headers=EN).get_data(as_text=True)
    assert "Premier avis" in page
    assert f"/commentaires/{world.comment_id}/supprimer" not in page
    response = client.post(f"{_base(world)}/commentaires/{world.comment_id}/supprimer")
    assert response.status_code == 403
    assert _count(app) == 1


def test_admin_deletes_any_comment(app, client, login, world):
    login(world.admin)
    response = client.post(f"{_base(world)}/commentaires/{world.comment_id}/supprimer")
    assert response.status_code == 302
    assert _count(app) == 0


def test_lead_of_another_offer_gets_404(app, client, login, world):
    login(world.idle_lead)
    assert client.post(_base(world) + "/commentaires", data={"body": "Hi"}).status_code == 404
    assert client.post(
        f"{_base(world)}/commentaires/{world.comment_id}/supprimer").status_code == 404
    assert _count(app) == 1


def test_comment_of_another_application_is_404(app, client, login, world):
    with app.app_context():
        from tracker.applications.models import Application

        posting = db.session.get(Application, world.application_id).posting
        other = factories.application(posting)
        db.session.commit()
        other_id = other.id
    login(world.admin)
    url = f"/gestion/{world.org}/candidatures/{other_id}/commentaires/{world.comment_id}/supprimer"
    assert client.post(url).status_code == 404
    assert _count(app) == 1


def test_member_of_another_organisation_gets_404(app, client, login, world, outsider):
    other_slug, email = outsider
    login(email)
    assert client.post(f"/gestion/{other_slug}/candidatures/{world.application_id}/commentaires",
                       data={"body": "Hi"}).status_code == 404
    assert client.post(_base(world) + "/commentaires", data={"body": "Hi"}).status_code == 404
    assert _count(app) == 1


def test_masked_candidate_name_is_blanked_in_comments(app, client, login, world):
    with app.app_context():
        from tracker.applications.models import Application

        db.session.get(Application, world.application_id).posting.anonymised = True
        db.session.commit()
    login(world.lead)
    client.post(_base(world) + "/commentaires", data={"body": "Appeler Léa Martin"})
    page = client.get(_base(world), headers=EN).get_data(as_text=True)
    assert "Appeler […] […]" in page
    assert "Martin" not in page


def test_control_characters_are_dropped_from_comments(app, client, login, world):
    login(world.lead)
    response = client.post(_base(world) + "/commentaires", data={"body": "a\x00b\x1bc\r\nd"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Comment.body).order_by(Comment.id.desc())) == "abc\nd"
