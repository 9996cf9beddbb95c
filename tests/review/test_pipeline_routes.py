"""Moving applications through the web: one (the panel's form), many (the list's bulk form)."""

from __future__ import annotations

import html
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import g, render_template
from flask_babel import force_locale

from tests import factories
from tests.review.stages_support import EN, events, offer_world
from tracker.accounts.models import Role
from tracker.applications.models import Application
from tracker.db import db, utcnow
from tracker.review.stages import MOVE_ACTION, REVEAL_ACTION, move_application


@dataclass
class World:
    org: str
    org_id: int
    admin: str
    lead: str
    posting_id: int
    stages: dict[str, int]
    apps: list[int]


def make_world(app, *, count: int = 3, anonymised: bool = False, emails: bool = False) -> World:
    with app.app_context():
        w = offer_world(anonymised=anonymised, emails=emails)
        apps = [factories.application(w["posting"], first_name="Léa", last_name=f"Martin{i}",
                                      email=f"lea{i}@example.com", locale="en")
                for i in range(count)]
        db.session.commit()
        return World(org=w["org"].slug, org_id=w["org"].id, admin=w["admin"].email,
                     lead=w["lead"].email, posting_id=w["posting"].id,
                     stages={k: s.id for k, s in w["stages"].items()},
                     apps=[a.id for a in apps])


def state(app, application_id: int) -> tuple:
    with app.app_context():
        a = db.session.get(Application, application_id)
        return a.stage.key, a.decision, a.decision_reason


def move_url(world: World, application_id: int) -> str:
    return f"/gestion/{world.org}/candidatures/{application_id}/etape"


def bulk_url(world: World) -> str:
    return f"/gestion/{world.org}/offres/{world.posting_id}/candidatures/etape"


def flashes(client, url: str) -> str:
    return html.unescape(client.get(url, headers=EN).get_data(as_text=True))


# --- One application ------------------------------------------------------------------------


def test_lead_moves_an_application_and_sees_the_result(app, client, login):
    world = make_world(app)
    login(world.lead)
    app_id = world.apps[0]
    response = client.post(move_url(world, app_id), data={"stage_id": world.stages["interview"]},
                           headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/gestion/{world.org}/candidatures/{app_id}#stage")
    assert state(app, app_id) == ("interview", None, "")
    page = flashes(client, response.headers["Location"])
    assert "Léa MARTIN0 moved to “Interview”." in page or "moved to “Interview”." in page
    with app.app_context():
        [event] = events(world.org_id, MOVE_ACTION)
        assert event.data["to_stage"] == "Interview"


def test_reject_with_reason(app, client, login):
    world = make_world(app)
    login(world.lead)
    client.post(move_url(world, world.apps[0]),
                data={"stage_id": world.stages["rejected"], "reason": "experience"}, headers=EN)
    assert state(app, world.apps[0]) == ("rejected", "not_retained", "experience")


def test_reject_without_reason_is_refused_with_a_message(app, client, login):
    world = make_world(app)
    login(world.lead)
    response = client.post(move_url(world, world.apps[0]),
                           data={"stage_id": world.stages["rejected"]}, headers=EN,
                           follow_redirects=True)
    assert "Choose the reason why the candidate is not retained." in html.unescape(
        response.get_data(as_text=True))
    assert state(app, world.apps[0]) == ("received", None, "")


def test_refused_move_after_the_answer_changes_nothing(app, client, login):
    world = make_world(app)
    with app.app_context():
        a = db.session.get(Application, world.apps[0])
        w_stage = a.organisation_id
        from tracker.review.models import Stage
        move_application(a, db.session.get(Stage, world.stages["hired"]), actor=None)
        a.answered_at = utcnow()
        db.session.commit()
        assert w_stage
    login(world.admin)
    response = client.post(move_url(world, world.apps[0]),
                           data={"stage_id": world.stages["received"]}, headers=EN,
                           follow_redirects=True)
    assert "The candidate has already been answered: the decision stands." in html.unescape(
        response.get_data(as_text=True))
    assert state(app, world.apps[0]) == ("hired", "retained", "")


@pytest.mark.parametrize("data", [{}, {"stage_id": "abc"}, {"stage_id": "-99999999999999999999"},
                                  {"stage_id": "99999999999999"}, {"stage_id": "0"}])
def test_move_with_junk_stage_is_a_message(app, client, login, data):
    world = make_world(app, count=1)
    login(world.admin)
    response = client.post(move_url(world, world.apps[0]), data=data, headers=EN)
    assert response.status_code == 302
    assert state(app, world.apps[0]) == ("received", None, "")


def test_move_to_another_organisations_stage_is_refused(app, client, login):
    world = make_world(app, count=1)
    other = make_world(app, count=0)
    login(world.admin)
    response = client.post(move_url(world, world.apps[0]),
                           data={"stage_id": other.stages["interview"]}, headers=EN,
                           follow_redirects=True)
    assert "This stage does not exist." in response.get_data(as_text=True)
    assert state(app, world.apps[0]) == ("received", None, "")


def test_move_of_an_application_the_lead_does_not_review_is_404(app, client, login):
    world = make_world(app, count=1)
    with app.app_context():
        from tracker.accounts.models import Organisation
        org = db.session.scalar(sa.select(Organisation).where(Organisation.slug == world.org))
        idle = factories.user(org, Role.LEAD)
        idle_email = idle.email
        db.session.commit()
    login(idle_email)
    response = client.post(move_url(world, world.apps[0]),
                           data={"stage_id": world.stages["interview"]})
    assert response.status_code == 404
    assert state(app, world.apps[0]) == ("received", None, "")


def test_move_into_the_reveal_stage_says_so(app, client, login):
    world = make_world(app, count=1, anonymised=True)
    login(world.lead)
    response = client.post(move_url(world, world.apps[0]),
                           data={"stage_id": world.stages["interview"]}, headers=EN,
                           follow_redirects=True)
    text = html.unescape(response.get_data(as_text=True))
    assert "The candidate's identity is now shown to the reviewers." in text
    with app.app_context():
        assert len(events(world.org_id, REVEAL_ACTION)) == 1


def test_move_masked_application_flash_shows_the_reference_not_the_name(app, client, login):
    world = make_world(app, count=1, anonymised=True)
    login(world.lead)
    response = client.post(move_url(world, world.apps[0]),
                           data={"stage_id": world.stages["shortlisted"]}, headers=EN)
    with client.session_transaction() as session:
        flashed = " ".join(str(m) for _c, m in session.get("_flashes", []))
    assert response.status_code == 302
    assert "moved to “Shortlisted”" in flashed
    assert "Martin0" not in flashed and "MARTIN0" not in flashed
    assert "Candidate T" in flashed


def test_move_with_a_stage_email_flashes_the_draft(app, client, login):
    world = make_world(app, count=1, emails=True)
    login(world.lead)
    response = client.post(move_url(world, world.apps[0]),
                           data={"stage_id": world.stages["rejected"], "reason": "profile"},
                           headers=EN)
    with client.session_transaction() as session:
        flashed = " ".join(str(m) for _c, m in session.get("_flashes", []))
    assert response.status_code == 302
    assert "The answer is waiting in the drafts" in flashed
    if "answers.drafts" in app.view_functions:
        with app.test_request_context():
            from flask import url_for
            link = url_for("answers.drafts", org_slug=world.org, posting_id=world.posting_id)
        assert f'href="{link}"' in flashed


# --- Many applications ----------------------------------------------------------------------


def test_bulk_reject_all_others(app, client, login):
    world = make_world(app, count=4)
    with app.app_context():
        from tracker.review.models import Stage
        answered = db.session.get(Application, world.apps[3])
        move_application(answered, db.session.get(Stage, world.stages["rejected"]), actor=None,
                         reason="late")
        answered.answered_at = utcnow()
        db.session.commit()
    login(world.lead)
    response = client.post(bulk_url(world), headers=EN, data={
        "application_ids": [str(i) for i in world.apps[1:]],
        "stage_id": world.stages["rejected"], "reason": "other_candidate",
        "next": f"/gestion/{world.org}/offres/{world.posting_id}/candidatures?page=2&tri=score",
    })
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/gestion/{world.org}/offres/{world.posting_id}/candidatures?page=2&tri=score")
    assert state(app, world.apps[0]) == ("received", None, "")
    assert state(app, world.apps[1]) == ("rejected", "not_retained", "other_candidate")
    assert state(app, world.apps[2]) == ("rejected", "not_retained", "other_candidate")
    with client.session_transaction() as session:
        flashed = [str(m) for _c, m in session.get("_flashes", [])]
    assert "2 applications moved to “Not retained”." in flashed
    with app.app_context():
        reference = db.session.get(Application, world.apps[3]).reference
    assert (f"1 refused: The candidate has already been answered: the decision stands. "
            f"({reference})") in flashed
    with app.app_context():
        moved = [e.object_id for e in events(world.org_id, MOVE_ACTION)]
    assert moved[-2:] == world.apps[1:3]


def test_bulk_ignores_and_counts_foreign_ids(app, client, login):
    world = make_world(app, count=1)
    other = make_world(app, count=1)
    with app.app_context():
        from tracker.postings.models import Posting
        posting = db.session.get(Posting, world.posting_id)
        second_offer_app = factories.application(factories.posting(posting.organisation)).id
        db.session.commit()
    login(world.admin)
    client.post(bulk_url(world), headers=EN, data={
        "application_ids": [str(world.apps[0]), str(other.apps[0]), str(second_offer_app)],
        "stage_id": world.stages["shortlisted"]})
    with client.session_transaction() as session:
        flashed = [str(m) for _c, m in session.get("_flashes", [])]
    assert "1 application moved to “Shortlisted”." in flashed
    assert "2 refused: 2 selected applications are not from this offer." in flashed
    assert state(app, world.apps[0])[0] == "shortlisted"
    assert state(app, other.apps[0])[0] == "received"
    assert state(app, second_offer_app)[0] == "received"


def test_bulk_without_reason_for_rejected_changes_nothing(app, client, login):
    world = make_world(app, count=2)
    login(world.lead)
    response = client.post(bulk_url(world), headers=EN, follow_redirects=True, data={
        "application_ids": [str(i) for i in world.apps], "stage_id": world.stages["rejected"]})
    assert "Choose the reason why the candidate is not retained." in html.unescape(
        response.get_data(as_text=True))
    assert {state(app, i)[0] for i in world.apps} == {"received"}


@pytest.mark.parametrize("data", [
    {}, {"stage_id": "x"}, {"application_ids": ["1"]},
    {"application_ids": ["abc", "-5"], "stage_id": "1"},
    {"application_ids": ["99999999999999999999"], "stage_id": "99999999999999999999"},
])
def test_bulk_with_junk_is_a_message(app, client, login, data):
    world = make_world(app, count=1)
    login(world.admin)
    response = client.post(bulk_url(world), data=data, headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/gestion/{world.org}/offres/{world.posting_id}/candidatures")
    assert state(app, world.apps[0]) == ("received", None, "")


def test_bulk_nothing_ticked(app, client, login):
    world = make_world(app, count=1)
    login(world.admin)
    response = client.post(bulk_url(world), data={"stage_id": world.stages["offer"]}, headers=EN,
                           follow_redirects=True)
    assert "Tick the applications to move." in response.get_data(as_text=True)


@pytest.mark.parametrize("next_value", ["https://evil.example.com/x", "//evil.example.com/x",
                                        "/\\evil.example.com", "javascript:alert(1)"])
def test_bulk_next_must_be_a_local_path(app, client, login, next_value):
    world = make_world(app, count=1)
    login(world.admin)
    response = client.post(bulk_url(world), headers=EN, data={
        "application_ids": [str(world.apps[0])], "stage_id": world.stages["offer"],
        "next": next_value})
    assert response.headers["Location"] == (
        f"/gestion/{world.org}/offres/{world.posting_id}/candidatures")


def test_bulk_on_an_offer_the_lead_does_not_review_is_404(app, client, login):
    world = make_world(app, count=1)
    other = make_world(app, count=1)
    login(world.lead)
    response = client.post(f"/gestion/{world.org}/offres/{other.posting_id}/candidatures/etape",
                           data={"application_ids": [str(other.apps[0])],
                                 "stage_id": world.stages["offer"]})
    assert response.status_code == 404


def test_bulk_with_stage_emails_queues_one_draft_each(app, client, login):
    world = make_world(app, count=3, emails=True)
    login(world.lead)
    client.post(bulk_url(world), headers=EN, data={
        "application_ids": [str(i) for i in world.apps], "stage_id": world.stages["rejected"],
        "reason": "profile"})
    with app.app_context():
        from tracker.mail.models import Message, MessageStatus
        drafts = list(db.session.scalars(sa.select(Message).where(
            Message.status == MessageStatus.DRAFT)))
        assert sorted(m.application_id for m in drafts) == sorted(world.apps)
        assert {m.kind for m in drafts} == {"answer.not_retained"}
    with client.session_transaction() as session:
        flashed = " ".join(str(m) for _c, m in session.get("_flashes", []))
    assert "3 answers are waiting in the drafts" in flashed


# --- The panel and the bulk form ------------------------------------------------------------


def render_panel(app, application_id: int, user_email: str) -> str:
    from tracker.accounts.models import Membership, User

    with app.test_request_context(headers=EN), force_locale("en"):
        application = db.session.get(Application, application_id)
        user = db.session.scalar(sa.select(User).where(User.email == user_email))
        g.organisation = application.organisation
        g.membership = db.session.scalar(sa.select(Membership).where(
            Membership.user_id == user.id))
        return render_template("review/_stage_panel.html", application=application,
                               posting=application.posting,
                               organisation=application.organisation)


def test_panel_shows_the_stage_and_the_allowed_targets(app):
    world = make_world(app, count=1)
    page = html.unescape(render_panel(app, world.apps[0], world.lead))
    assert '<span class="badge stage-badge stage-kind-open">Received</span>' in page
    assert f'action="/gestion/{world.org}/candidatures/{world.apps[0]}/etape"' in page
    options = [s for s in ("Shortlisted", "Interview", "Offer", "Hired", "Not retained",
                           "Withdrawn") if f">{s}</option>" in page]
    assert len(options) == 6
    assert ">Received</option>" not in page
    assert 'data-kind="rejected"' in page
    assert 'name="reason"' in page and "Not enough experience" in page


def test_panel_shows_decision_reason_and_unanswered(app):
    world = make_world(app, count=1)
    with app.app_context():
        from tracker.review.models import Stage
        a = db.session.get(Application, world.apps[0])
        move_application(a, db.session.get(Stage, world.stages["rejected"]), actor=None,
                         reason="experience")
        db.session.commit()
    page = html.unescape(render_panel(app, world.apps[0], world.lead))
    assert "Not retained" in page and "Not enough experience" in page
    assert "Not sent yet" in page
    # From a final stage, only the open stages are offered.
    assert ">Interview</option>" in page and ">Hired</option>" not in page


def test_panel_after_the_answer_offers_no_move(app):
    world = make_world(app, count=1)
    with app.app_context():
        from tracker.review.models import Stage
        a = db.session.get(Application, world.apps[0])
        move_application(a, db.session.get(Stage, world.stages["hired"]), actor=None)
        a.answered_at = utcnow()
        db.session.commit()
    page = html.unescape(render_panel(app, world.apps[0], world.admin))
    assert "<form" not in page
    assert "The candidate has already been answered: the decision stands." in page
    assert "Sent " in page


def test_panel_never_prints_a_masked_candidates_identity(app):
    world = make_world(app, count=1, anonymised=True)
    page = render_panel(app, world.apps[0], world.lead)
    for secret in ("Martin0", "MARTIN0", "lea0@example.com", "06 12 34 56 78"):
        assert secret not in page


def test_bulk_actions_partial_lists_every_stage(app):
    world = make_world(app, count=1)
    with app.test_request_context(f"/gestion/{world.org}/offres/{world.posting_id}/candidatures"
                                  "?tri=score", headers=EN), force_locale("en"):
        from tracker.postings.models import Posting
        posting = db.session.get(Posting, world.posting_id)
        page = html.unescape(render_template("review/_bulk_actions.html", posting=posting,
                                             organisation=posting.organisation))
    assert page.count("</option>") == 7 + 1 + 9  # stages + "choose" + reasons (+ empty)
    assert 'name="stage_id"' in page and 'name="reason"' in page
    assert (f'name="next" value="/gestion/{world.org}/offres/{world.posting_id}/candidatures'
            '?tri=score"') in page
