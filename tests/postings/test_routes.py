"""Back-office offer pages: list, page, status changes, preview, duplicate, permissions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests import factories
from tests.postings.support import EN, Org, complete_form, make_org, text
from tracker.accounts.models import Organisation, Role, User
from tracker.audit.models import Event
from tracker.db import db, utcnow
from tracker.postings.display import deadline_text
from tracker.postings.models import ContactRole, Posting, PostingContact
from tracker.postings.models import PostingStatus as S


def _org(org: Org) -> Organisation:
    return db.session.get(Organisation, org.id)


def _titles(page: str) -> list[str]:
    return re.findall(r'<td class="cell-title">\s*<a href="[^"]+">([^<]+)</a>', page)


def _flashes(response) -> list[str]:
    pattern = r'<p class="flash[^"]*"[^>]*>([^<]*)</p>'
    return [m.strip() for m in re.findall(pattern, text(response))]


@pytest.fixture
def org(app) -> Org:
    with app.app_context():
        made = make_org()
        db.session.commit()
    return made


def _posting(app, org: Org, status=S.DRAFT, **fields) -> int:
    """An offer of ``org``, reviewed by its lead (leads see only the offers they review)."""
    with app.app_context():
        posting = factories.posting(_org(org), status=status, **fields)
        factories.reviewer(posting, db.session.get(User, org.lead_id))
        db.session.commit()
        return posting.id


# --- The list -----------------------------------------------------------------------------


def test_index_lists_offers_drafts_and_open_first_then_by_deadline(app, client, login, org):
    with app.app_context():
        o = _org(org)
        factories.posting(o, title="Archivée", status=S.ARCHIVED)
        factories.posting(o, title="Ouverte tard", status=S.PUBLISHED,
                          deadline=factories.future(60))
        factories.posting(o, title="Brouillon", deadline=None)
        factories.posting(o, title="Ouverte bientôt", status=S.PUBLISHED,
                          deadline=factories.future(5))
        factories.posting(o, title="Pourvue", status=S.FILLED)
        factories.posting(o, title="Close", status=S.CLOSED)
        other = factories.organisation()
        factories.posting(other, title="Offre d'une autre organisation")
        db.session.commit()
    login(org.admin_email)  # admins see every offer; leads, those they review

    response = client.get(org.url(), headers=EN)

    assert response.status_code == 200
    assert _titles(response.get_data(as_text=True)) == [
        "Brouillon", "Ouverte bientôt", "Ouverte tard", "Close", "Pourvue", "Archivée",
    ]


def test_index_status_tabs_count_and_filter(app, client, login, org):
    with app.app_context():
        o = _org(org)
        for title in ("Un", "Deux"):
            factories.posting(o, title=title, status=S.PUBLISHED)
        factories.posting(o, title="Trois")
        db.session.commit()
    login(org.admin_email)

    response = client.get(org.url() + "?statut=published", headers=EN)

    page = text(response)
    assert sorted(_titles(page)) == ["Deux", "Un"]
    tabs = re.findall(r'<a href="[^"]*"\s*(aria-current="page")?>\s*([^<]+?)\s*'
                      r'<span class="tab-count">(\d+)</span>', page)
    assert [(label, int(n), bool(current)) for current, label, n in tabs] == [
        ("All", 3, False), ("Draft", 1, False), ("Published", 2, True), ("Closed", 0, False),
        ("Filled", 0, False), ("Archived", 0, False),
    ]


def test_index_unknown_status_filter_shows_all(app, client, login, org):
    _posting(app, org)
    login(org.admin_email)

    response = client.get(org.url() + "?statut=nimporte&page=abc", headers=EN)

    assert response.status_code == 200
    assert len(_titles(response.get_data(as_text=True))) == 1


def test_index_shows_columns_and_links(app, client, login, org):
    posting_id = _posting(app, org, status=S.PUBLISHED, title="Chargé de mission",
                          contract_type="cdd")
    login(org.admin_email)

    page = text(client.get(org.url(), headers=EN))

    assert "Fixed-term contract (CDD)" in page
    assert '<span class="badge badge-published">Published</span>' in page
    assert "Claire Fontaine" in page and "Inès Moreau" in page
    with app.app_context():
        posting = db.session.get(Posting, posting_id)
        slug = posting.slug
        with app.test_request_context(), force_locale("en"):
            assert deadline_text(posting) in page
    for href in (
        org.url(f"{posting_id}"), org.url(f"{posting_id}/modifier"),
        org.url(f"{posting_id}/apercu"), f"/offres/{posting_id}-{slug}",
    ):
        assert f'href="{href}"' in page, href


def test_index_paginates(app, client, login, org):
    app.config["ADMIN_PAGE_SIZE"] = 2
    try:
        with app.app_context():
            for n in range(5):
                factories.posting(_org(org), title=f"Offre {n}", deadline=factories.future(n + 1))
            db.session.commit()
        login(org.admin_email)
        page3 = text(client.get(org.url() + "?page=3", headers=EN))
    finally:
        app.config["ADMIN_PAGE_SIZE"] = 50
    assert _titles(page3) == ["Offre 4"]
    assert "Page 3 of 3" in page3


@pytest.mark.parametrize("many", [60])
def test_index_query_count_does_not_grow_with_offers(app, client, login, org, queries, many):
    def fill(n):
        with app.app_context():
            o = _org(org)
            for _ in range(n):
                factories.posting(o, contacts=[
                    PostingContact(user_id=org.lead_id, name=org.lead_name, email=org.lead_email,
                                   role=ContactRole.TO, position=0),
                    PostingContact(name="Inès Moreau", email="ines.moreau@example.org",
                                   role=ContactRole.CC, position=1),
                ])
            db.session.commit()

    login(org.admin_email)
    fill(3)
    client.get(org.url(), headers=EN)  # warm up
    with queries() as few:
        assert client.get(org.url(), headers=EN).status_code == 200
    fill(many - 3)
    with queries() as lots:
        response = client.get(org.url(), headers=EN)
    assert response.status_code == 200
    assert len(_titles(response.get_data(as_text=True))) == 50
    assert lots() == few()


# --- The offer page ---------------------------------------------------------------------


def test_show_page_has_facts_contacts_buttons_and_history(app, client, login, org):
    posting_id = _posting(app, org, title="Chargé de mission")
    login(org.admin_email)
    client.post(org.url(f"{posting_id}/statut"), data={"target": "published"}, headers=EN)

    response = client.get(org.url(str(posting_id)), headers=EN)

    assert response.status_code == 200
    page = text(response)
    assert "Chargé de mission" in page
    assert '<span class="badge badge-published">Published</span>' in page
    assert "Claire Fontaine" in page and "claire.fontaine@example.org" in page
    targets = re.findall(r'name="target" value="(\w+)">\s*<button[^>]*>([^<]+)</button>', page)
    assert targets == [("closed", "Close applications"), ("filled", "Mark as filled"),
                       ("archived", "Archive")]
    history = re.findall(r'<span class="event-what"><strong>([^<]+)</strong>', page)
    assert history == ["Published", "Created"]
    assert f"by {org.admin_name}" in page
    assert "by the system" in page  # the factory created it without an actor
    assert "Duplicate" in page


def test_show_page_lists_what_stops_publication(app, client, login, org):
    posting_id = _posting(app, org, missions="", deadline=None)
    login(org.admin_email)

    page = text(client.get(org.url(str(posting_id)), headers=EN))

    assert "Before this offer can be published:" in page
    assert "The offer needs a description of the missions." in page
    assert "The offer needs a deadline." in page


def test_show_page_history_names_edited_fields(app, client, login, org):
    posting_id = _posting(app, org)
    with app.app_context():
        from tracker.postings.services import record_edit

        posting = db.session.get(Posting, posting_id)
        record_edit(posting, actor=db.session.get(User, org.admin_id),
                    changed=["title", "pay_min", "contacts"])
        db.session.commit()
    login(org.admin_email)

    page = text(client.get(org.url(str(posting_id)), headers=EN))

    assert "<strong>Edited</strong>: Contacts, Pay from, Title" in page


def test_show_page_for_lead_has_no_admin_buttons(app, client, login, org):
    posting_id = _posting(app, org)
    login(org.lead_email)

    response = client.get(org.url(str(posting_id)), headers=EN)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="target"' not in page
    assert "/modifier" not in page
    assert "/dupliquer" not in page


# --- Status changes -----------------------------------------------------------------------


def test_transition_publish_succeeds_with_message(app, client, login, org):
    posting_id = _posting(app, org)
    login(org.admin_email)

    response = client.post(org.url(f"{posting_id}/statut"), data={"target": "published"},
                           headers=EN)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(org.url(str(posting_id)))
    assert _flashes(client.get(response.headers["Location"], headers=EN)) == ["Offer published."]
    with app.app_context():
        posting = db.session.get(Posting, posting_id)
        assert posting.status == S.PUBLISHED
        event = db.session.scalars(sa.select(Event).order_by(Event.id.desc())).first()
        assert (event.action, event.actor_id) == ("posting.publish", org.admin_id)


@pytest.mark.parametrize(("start", "target", "message"), [
    (S.PUBLISHED, "closed", "Offer closed: it no longer takes applications."),
    (S.CLOSED, "published", "Offer reopened: it takes applications again."),
    (S.PUBLISHED, "filled", "Offer marked as filled."),
    (S.FILLED, "closed", "Offer no longer marked as filled."),
    (S.CLOSED, "archived", "Offer archived: its public page is gone."),
    (S.ARCHIVED, "closed", "Offer restored (closed)."),
])
def test_transition_allowed_moves_say_what_happened(app, client, login, org, start, target,
                                                    message):
    posting_id = _posting(app, org, status=start)
    login(org.admin_email)

    response = client.post(org.url(f"{posting_id}/statut"), data={"target": target},
                           headers=EN, follow_redirects=True)

    assert _flashes(response) == [message]
    with app.app_context():
        assert db.session.get(Posting, posting_id).status == target


def test_transition_refused_publication_explains_why(app, client, login, org):
    posting_id = _posting(app, org, missions="")
    login(org.admin_email)

    response = client.post(org.url(f"{posting_id}/statut"), data={"target": "published"},
                           headers=EN, follow_redirects=True)

    assert _flashes(response) == ["The offer needs a description of the missions."]
    with app.app_context():
        assert db.session.get(Posting, posting_id).status == S.DRAFT


def test_transition_refused_past_deadline(app, client, login, org):
    posting_id = _posting(app, org, deadline=utcnow() - timedelta(days=1))
    login(org.admin_email)

    response = client.post(org.url(f"{posting_id}/statut"), data={"target": "published"},
                           headers=EN, follow_redirects=True)

    assert _flashes(response) == ["The deadline has passed: move it to a later date first."]


def test_transition_illegal_move_is_refused(app, client, login, org):
    posting_id = _posting(app, org)
    login(org.admin_email)

    response = client.post(org.url(f"{posting_id}/statut"), data={"target": "filled"},
                           headers=EN, follow_redirects=True)

    assert _flashes(response) == ["An offer cannot go from “Draft” to “Filled”."]
    with app.app_context():
        assert db.session.get(Posting, posting_id).status == S.DRAFT


@pytest.mark.parametrize("data", [{"target": "bogus"}, {"target": ""}, {}])
def test_transition_unknown_target_is_refused(app, client, login, org, data):
    posting_id = _posting(app, org)
    login(org.admin_email)

    response = client.post(org.url(f"{posting_id}/statut"), data=data, headers=EN,
                           follow_redirects=True)

    assert response.status_code == 200
    assert _flashes(response) == ["Unknown status: nothing was changed."]
    with app.app_context():
        assert db.session.get(Posting, posting_id).status == S.DRAFT


def test_transition_archived_draft_cannot_be_restored(app, client, login, org):
    posting_id = _posting(app, org)
    login(org.admin_email)
    client.post(org.url(f"{posting_id}/statut"), data={"target": "archived"})

    page = text(client.get(org.url(str(posting_id)), headers=EN))
    response = client.post(org.url(f"{posting_id}/statut"), data={"target": "closed"},
                           headers=EN, follow_redirects=True)

    assert 'value="closed"' not in page
    assert _flashes(response) == [
        "This offer was never published: duplicate it to use it again."
    ]
    with app.app_context():
        assert db.session.get(Posting, posting_id).status == S.ARCHIVED


# --- Preview and duplicate ----------------------------------------------------------------


def test_preview_shows_draft_as_the_public_would(app, client, login, org):
    posting_id = _posting(app, org, title="Stage démocratie permanente")
    login(org.lead_email)

    response = client.get(org.url(f"{posting_id}/apercu"), headers=EN)

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Stage démocratie permanente</h1>" in page
    assert "Preview: this offer is not public yet." in page
    assert 'name="robots" content="noindex"' in page
    assert "Candidature chargé de mission" in page  # the required subject line
    assert f'href="{org.url(str(posting_id))}"' in page


def test_duplicate_makes_a_draft_and_opens_its_form(app, client, login, org):
    posting_id = _posting(app, org, status=S.CLOSED, title="Stage 2030")
    login(org.admin_email)

    response = client.post(org.url(f"{posting_id}/dupliquer"), headers=EN)

    assert response.status_code == 302
    with app.app_context():
        copy = db.session.scalars(sa.select(Posting).where(Posting.id != posting_id)).one()
        assert (copy.title, copy.status, copy.deadline, copy.contract_start) == (
            "Stage 2030", S.DRAFT, None, None)
        assert [c.name for c in copy.contacts] == ["Claire Fontaine", "Inès Moreau"]
        copy_id = copy.id
    assert response.headers["Location"].endswith(org.url(f"{copy_id}/modifier"))
    page = client.get(response.headers["Location"], headers=EN)
    assert _flashes(page) == [
        "Copy saved as a new draft. Set its dates and deadline, then publish it."
    ]


# --- Permissions --------------------------------------------------------------------------


def test_lead_can_read_list_show_and_preview(app, client, login, org):
    posting_id = _posting(app, org)
    login(org.lead_email)

    for url in (org.url(), org.url(str(posting_id)), org.url(f"{posting_id}/apercu")):
        assert client.get(url).status_code == 200, url


def test_lead_cannot_create_edit_change_or_duplicate(app, client, login, org):
    posting_id = _posting(app, org)
    login(org.lead_email)

    assert client.get(org.url("nouvelle")).status_code == 403
    assert client.post(org.url("nouvelle"), data=complete_form(org.lead_id)).status_code == 403
    assert client.get(org.url(f"{posting_id}/modifier")).status_code == 403
    assert client.post(org.url(f"{posting_id}/modifier"),
                       data=complete_form(org.lead_id)).status_code == 403
    assert client.post(org.url(f"{posting_id}/statut"),
                       data={"target": "published"}).status_code == 403
    assert client.post(org.url(f"{posting_id}/dupliquer")).status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Posting.id))) == 1
        posting = db.session.get(Posting, posting_id)
        assert posting.status == S.DRAFT and posting.title.startswith("Chargé·e de mission")


def test_other_organisations_offer_is_not_found(app, client, login, org):
    with app.app_context():
        other = factories.organisation()
        foreign_id = factories.posting(other, status=S.PUBLISHED).id
        db.session.commit()
    login(org.admin_email)

    for url in (org.url(str(foreign_id)), org.url(f"{foreign_id}/modifier"),
                org.url(f"{foreign_id}/apercu")):
        assert client.get(url).status_code == 404, url
    for url in (org.url(f"{foreign_id}/statut"), org.url(f"{foreign_id}/dupliquer")):
        assert client.post(url, data={"target": "closed"}).status_code == 404, url
    with app.app_context():
        assert db.session.get(Posting, foreign_id).status == S.PUBLISHED
        assert db.session.scalar(sa.select(sa.func.count(Posting.id))) == 1


def test_unknown_offer_id_is_not_found(app, client, login, org):
    login(org.admin_email)

    assert client.get(org.url("999999")).status_code == 404
    assert client.post(org.url("999999/statut"), data={"target": "published"}).status_code == 404


def test_non_member_does_not_see_the_organisations_offers(app, client, login, org):
    with app.app_context():
        stranger = factories.user(factories.organisation(), Role.ADMIN)
        db.session.commit()
        email = stranger.email
    login(email)

    assert client.get(org.url()).status_code == 404
    assert client.get(org.url("nouvelle")).status_code == 404


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(org.url())

    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]



def test_forms_refuse_a_missing_csrf_token(app, client, login, org):
    posting_id = _posting(app, org)
    login(org.admin_email)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        responses = [
            client.post(org.url(f"{posting_id}/statut"), data={"target": "published"}),
            client.post(org.url(f"{posting_id}/dupliquer")),
            client.post(org.url("nouvelle"), data=complete_form(org.lead_id)),
            client.post(org.url(f"{posting_id}/modifier"), data=complete_form(org.lead_id)),
        ]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert [r.status_code for r in responses] == [400, 400, 400, 400]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Posting.id))) == 1
        assert db.session.get(Posting, posting_id).status == S.DRAFT


def test_show_page_history_lists_deadline_once(app, client, login, org):
    posting_id = _posting(app, org)
    with app.app_context():
        from tracker.postings.services import record_edit

        record_edit(db.session.get(Posting, posting_id), actor=None,
                    changed=["deadline", "deadline_end_of_day"])
        db.session.commit()
    login(org.admin_email)

    page = text(client.get(org.url(str(posting_id)), headers=EN))

    assert "<strong>Edited</strong>: Deadline</span>" in page
