"""The pipeline editor at /gestion/<org>/etapes (admins only)."""

from __future__ import annotations

import html

from tests import factories
from tests.review.stages_support import EN, events, stages_by_key
from tracker.accounts.models import Role
from tracker.db import db
from tracker.postings.models import PostingStatus
from tracker.review.models import Stage
from tracker.review.stages import move_application, pipeline


def make_org(app) -> dict:
    with app.app_context():
        org = factories.organisation(locale="en")
        admin = factories.user(org, Role.ADMIN)
        lead = factories.user(org, Role.LEAD)
        db.session.commit()
        return {"slug": org.slug, "id": org.id, "admin": admin.email, "lead": lead.email,
                "stages": {k: s.id for k, s in stages_by_key(org).items()}}


def names(app, org_id: int) -> list[str]:
    with app.app_context():
        return [s.name for s in pipeline(org_id)]


def flashed(client) -> list[str]:
    with client.session_transaction() as session:
        return [str(m) for _c, m in session.get("_flashes", [])]


def test_lead_gets_403(app, client, login):
    org = make_org(app)
    login(org["lead"])
    assert client.get(f"/gestion/{org['slug']}/etapes").status_code == 403
    assert client.post(f"/gestion/{org['slug']}/etapes/ajout",
                       data={"name": "Call"}).status_code == 403
    stage_id = org["stages"]["offer"]
    assert client.post(f"/gestion/{org['slug']}/etapes/{stage_id}/suppression").status_code == 403
    assert client.post(f"/gestion/{org['slug']}/etapes/{stage_id}/ordre",
                       data={"direction": "up"}).status_code == 403
    assert len(names(app, org["id"])) == 7


def test_editor_page_lists_the_stages_with_their_controls(app, client, login):
    org = make_org(app)
    login(org["admin"])
    response = client.get(f"/gestion/{org['slug']}/etapes", headers=EN)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "<h1>Stages</h1>" in page
    for stage_id in org["stages"].values():
        assert f'name="name_{stage_id}"' in page and f'name="email_{stage_id}"' in page
    assert page.count("Cannot be deleted") == 3  # the final stages
    assert page.count(">Delete</button>") == 4  # every empty open stage
    assert "Acknowledgement to the candidate" not in page  # not a stage email
    assert f'href="/gestion/{org["slug"]}/etapes" aria-current="page">Stages</a>' in page


def test_nav_link_only_for_admins(app, client, login):
    org = make_org(app)
    login(org["lead"])
    page = client.get(f"/gestion/{org['slug']}/offres", headers=EN).get_data(as_text=True)
    assert f'/gestion/{org["slug"]}/etapes"' not in page


def test_rename_and_choose_the_email(app, client, login):
    org = make_org(app)
    login(org["admin"])
    shortlisted, rejected = org["stages"]["shortlisted"], org["stages"]["rejected"]
    data = {}
    with app.app_context():
        for stage in pipeline(org["id"]):
            data[f"name_{stage.id}"] = stage.name
            data[f"email_{stage.id}"] = stage.email_kind
    data[f"name_{shortlisted}"] = "Pre-selected"
    data[f"name_{rejected}"] = "Not selected"
    data[f"email_{shortlisted}"] = "answer.not_retained"
    response = client.post(f"/gestion/{org['slug']}/etapes", data=data, headers=EN)
    assert response.status_code == 302
    assert flashed(client) == ["2 stages saved."]
    with app.app_context():
        assert db.session.get(Stage, shortlisted).email_kind == "answer.not_retained"
        assert db.session.get(Stage, rejected).name == "Not selected"
        assert len(events(org["id"], "pipeline.update")) == 2


def test_rename_to_empty_or_too_long_is_422(app, client, login):
    org = make_org(app)
    login(org["admin"])
    offer = org["stages"]["offer"]
    for value in ("   ", "x" * 81):
        response = client.post(f"/gestion/{org['slug']}/etapes", headers=EN,
                               data={f"name_{offer}": value})
        assert response.status_code == 422
        assert "Please correct the fields marked below." in response.get_data(as_text=True)
    assert names(app, org["id"])[3] == "Offer"


def test_unknown_email_kind_is_refused(app, client, login):
    org = make_org(app)
    login(org["admin"])
    offer = org["stages"]["offer"]
    response = client.post(f"/gestion/{org['slug']}/etapes", headers=EN,
                           data={f"email_{offer}": "application.notification"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Stage, offer).email_kind == ""


def test_control_characters_are_removed_from_names(app, client, login):
    org = make_org(app)
    login(org["admin"])
    offer = org["stages"]["offer"]
    client.post(f"/gestion/{org['slug']}/etapes", headers=EN,
                data={f"name_{offer}": "Of\x00fer\u202e  made "})
    assert names(app, org["id"])[3] == "Of fer made"


def test_empty_post_saves_nothing(app, client, login):
    org = make_org(app)
    login(org["admin"])
    response = client.post(f"/gestion/{org['slug']}/etapes", data={}, headers=EN)
    assert response.status_code == 302
    assert flashed(client) == ["Nothing to save: no stage was changed."]


def test_add_a_stage(app, client, login):
    org = make_org(app)
    login(org["admin"])
    response = client.post(f"/gestion/{org['slug']}/etapes/ajout", headers=EN,
                           data={"name": "Phone call", "email_kind": ""})
    assert response.status_code == 302
    assert "#stage-" in response.headers["Location"]
    assert names(app, org["id"]) == ["Received", "Shortlisted", "Interview", "Offer",
                                     "Phone call", "Hired", "Not retained", "Withdrawn"]
    assert flashed(client) == ["Stage “Phone call” added."]


def test_add_without_name_is_422(app, client, login):
    org = make_org(app)
    login(org["admin"])
    response = client.post(f"/gestion/{org['slug']}/etapes/ajout", headers=EN, data={})
    assert response.status_code == 422
    assert "Give the new stage a name." in response.get_data(as_text=True)
    assert len(names(app, org["id"])) == 7


def test_reorder(app, client, login):
    org = make_org(app)
    login(org["admin"])
    offer = org["stages"]["offer"]
    client.post(f"/gestion/{org['slug']}/etapes/{offer}/ordre", data={"direction": "up"})
    assert names(app, org["id"])[:4] == ["Received", "Shortlisted", "Offer", "Interview"]
    client.post(f"/gestion/{org['slug']}/etapes/{offer}/ordre", data={"direction": "down"})
    client.post(f"/gestion/{org['slug']}/etapes/{offer}/ordre", data={"direction": "down"},
                headers=EN)
    assert names(app, org["id"])[:5] == ["Received", "Shortlisted", "Interview", "Offer", "Hired"]
    assert flashed(client)[-1] == "“Offer” cannot go further that way."
    response = client.post(f"/gestion/{org['slug']}/etapes/{offer}/ordre", data={}, headers=EN)
    assert response.status_code == 302
    with app.app_context():
        assert len(events(org["id"], "pipeline.reorder")) == 2


def test_delete_an_empty_stage(app, client, login):
    org = make_org(app)
    login(org["admin"])
    response = client.post(f"/gestion/{org['slug']}/etapes/{org['stages']['offer']}/suppression",
                           headers=EN)
    assert response.status_code == 302
    assert flashed(client) == ["Stage “Offer” deleted."]
    assert "Offer" not in names(app, org["id"])


def test_delete_refusals_are_explained(app, client, login):
    org = make_org(app)
    with app.app_context():
        from tracker.accounts.models import Organisation
        organisation = db.session.get(Organisation, org["id"])
        posting = factories.posting(organisation, status=PostingStatus.PUBLISHED)
        application = factories.application(posting)
        move_application(application, db.session.get(Stage, org["stages"]["interview"]),
                         actor=None)
        db.session.commit()
    login(org["admin"])
    url = f"/gestion/{org['slug']}/etapes/{{}}/suppression"
    client.post(url.format(org["stages"]["rejected"]), headers=EN)
    assert flashed(client) == ["“Not retained” is a final stage: it can be renamed, not deleted."]
    client.post(url.format(org["stages"]["interview"]), headers=EN)
    assert flashed(client)[-1:] == ["“Interview” holds 1 application: move it to another stage "
                               "first."]
    for key in ("shortlisted", "offer"):
        client.post(url.format(org["stages"][key]), headers=EN)
    # Received is empty now, but Interview holds the application: Received may go...
    client.post(url.format(org["stages"]["received"]), headers=EN)
    assert names(app, org["id"]) == ["Interview", "Hired", "Not retained", "Withdrawn"]
    # ...and Interview is the last open stage.
    client.post(url.format(org["stages"]["interview"]), headers=EN)
    assert flashed(client)[-1] == "“Interview” is the only open stage: new applications need it."
    with app.app_context():
        assert len(events(org["id"], "pipeline.delete")) == 3


def test_last_open_stage_cannot_be_deleted(app, client, login):
    org = make_org(app)
    login(org["admin"])
    url = f"/gestion/{org['slug']}/etapes/{{}}/suppression"
    for key in ("shortlisted", "interview", "offer"):
        client.post(url.format(org["stages"][key]), headers=EN)
    client.post(url.format(org["stages"]["received"]), headers=EN)
    assert flashed(client)[-1] == "“Received” is the only open stage: new applications need it."
    assert names(app, org["id"]) == ["Received", "Hired", "Not retained", "Withdrawn"]
    page = client.get(f"/gestion/{org['slug']}/etapes", headers=EN).get_data(as_text=True)
    assert "Only open stage" in page


def test_another_organisations_stage_is_404(app, client, login):
    org = make_org(app)
    other = make_org(app)
    login(org["admin"])
    stage_id = other["stages"]["offer"]
    assert client.post(f"/gestion/{org['slug']}/etapes/{stage_id}/suppression").status_code == 404
    assert client.post(f"/gestion/{org['slug']}/etapes/{stage_id}/ordre",
                       data={"direction": "up"}).status_code == 404
    assert "Offer" in names(app, other["id"])
