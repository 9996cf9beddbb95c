"""The offer form: every field goes in, is stored, and comes back; bad input is refused clearly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.postings.support import (
    EN,
    complete_form,
    edit_form_data,
    form_values,
    make_org,
    text,
)
from tracker.audit.models import Event
from tracker.db import db
from tracker.postings.models import Posting, PostingContact, PostingStatus
from tracker.postings.services import slugify

# Columns the form does not set directly, checked separately.
SYSTEM_COLUMNS = {"id", "organisation_id", "status", "slug", "published_at", "closed_at",
                  "created_by_id", "created_at", "updated_at"}
# Set on the offer's review settings page (tracker.review), not in the offer form.
REVIEW_COLUMNS = {"anonymised", "reveal_stage_id", "reviews_hidden_until_own"}


def expected_columns() -> dict:
    """What complete_form() must store, column by column."""
    return {
        "title": "Chargé·e d'accompagnement des conseils citoyens",
        "reference": "RV-2030-01",
        "contract_type": "cdd",
        "presentation": "RésO Villes est un **centre de ressources**.",
        "context": "Les conseils citoyens ont été créés par la loi du 24 février 2014.",
        "missions": "- Soutenir le fonctionnement\n  - animer les réunions\n- Être en veille",
        "profile": "- Savoir animer des groupes\n- Bonne maîtrise de l'écrit",
        "diploma": "Master 2 développement local",
        "experience": "Une expérience dans l'animation est un plus",
        "contract_start": date(2030, 1, 10),
        "contract_end": date(2031, 1, 9),
        "duration_min_months": 3,
        "duration_max_months": 12,
        "start_earliest": date(2030, 1, 3),
        "start_latest": date(2030, 1, 10),
        "closure_note": "Fermeture entre le 25 juillet et le 16 août",
        "working_time": "part_time",
        "hours_per_week": Decimal("30.5"),
        "schedule_note": "Travail possible en soirée et en week-end",
        "city": "Nantes",
        "postal_code": "44000",
        "region": "Pays de la Loire",
        "places": "Nantes et son agglomération",
        "travel": "Déplacements réguliers dans la métropole",
        "remote": "partial",
        "remote_note": "Un jour par semaine",
        "pay_kind": "amount",
        "pay_min": Decimal("1800.00"),
        "pay_max": Decimal("2000.50"),
        "pay_period": "month",
        "pay_basis": "gross",
        "pay_note": "Selon la convention collective",
        "benefits": "Mutuelle santé, tickets restaurant",
        "collective_agreement": "ECLAT (IDCC 1518)",
        "asks_cv": True,
        "asks_letter": True,
        "other_documents": "Un exemple de compte rendu",
        # 19 March 2030, end of the day in Paris (UTC+1 in winter).
        "deadline": datetime(2030, 3, 19, 22, 59, 59, tzinfo=UTC),
        "deadline_end_of_day": True,
        "subject_line": "Candidature CDD conseils citoyens",
        "accepts_email": True,
        "answer_promise": True,
        "source_url": "https://www.example.org/offres/conseils-citoyens",
    }


def post_new(client, org, data):
    return client.post(org.url("nouvelle"), data=data, headers=EN)


def posting_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Posting.id)))


def test_form_new_offer_stores_every_column(app, client, login):
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)

    response = post_new(client, org, complete_form(org.lead_id))

    assert response.status_code == 302
    with app.app_context():
        posting = db.session.scalars(sa.select(Posting)).one()
        assert response.headers["Location"].endswith(org.url(str(posting.id)))
        expected = expected_columns()
        columns = {c.key for c in Posting.__table__.columns}
        # Every column is either filled by the form or a system column: none forgotten.
        assert columns == set(expected) | SYSTEM_COLUMNS | REVIEW_COLUMNS
        for name, value in expected.items():
            assert getattr(posting, name) == value, name
        assert posting.status == PostingStatus.DRAFT
        assert posting.slug == slugify(expected["title"])
        assert posting.organisation_id == org.id
        assert posting.created_by_id == org.admin_id
        assert posting.published_at is None and posting.closed_at is None
        contacts = [
            (c.user_id, c.name, c.email, c.job_title, c.role, c.position)
            for c in posting.contacts
        ]
        assert contacts == [
            (None, "Claire Fontaine", "claire.fontaine@example.org", "Directrice", "to", 0),
            # A member: name and email are a snapshot of the account.
            (org.lead_id, org.lead_name, org.lead_email, "Secrétaire générale", "cc", 1),
            (None, "Inès Moreau", "ines.moreau@example.net", "", "info", 2),
        ]
        events = db.session.scalars(sa.select(Event.action)).all()
        assert events == ["posting.create"]


def test_form_edit_page_shows_every_stored_value(app, client, login):
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)
    data = complete_form(org.lead_id)
    post_new(client, org, data)
    with app.app_context():
        posting_id = db.session.scalar(sa.select(Posting.id))

    response = client.get(org.url(f"{posting_id}/modifier"), headers=EN)

    assert response.status_code == 200
    values, checkboxes = form_values(response.get_data(as_text=True))
    shown_back = dict(data)
    # Numbers come back as stored, the way a person types them.
    shown_back.update({"pay_min": "1800", "pay_max": "2000.5", "hours_per_week": "30.5"})
    for name in ("asks_cv", "asks_letter", "accepts_email", "answer_promise"):
        assert checkboxes.pop(name) is True, name
        del shown_back[name]
    values.pop("csrf_token", None)
    assert values == shown_back
    assert checkboxes == {}


def test_form_edit_changes_values_and_records_changed_fields(app, client, login):
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)
    data = complete_form(org.lead_id)
    post_new(client, org, data)
    with app.app_context():
        posting_id = db.session.scalar(sa.select(Posting.id))
    data.update({
        "title": "Chargé·e de mission conseils citoyens",
        "pay_kind": "gratification",
        "pay_min": "", "pay_max": "", "pay_period": "", "pay_basis": "",
        "hours_per_week": "",
        "deadline_time": "12:00",
        "asks_letter": "",  # unticked boxes are not sent at all
        "contacts-2-user_id": "", "contacts-2-name": "", "contacts-2-email": "",
        "contacts-2-job_title": "", "contacts-2-role": "to",
    })
    del data["asks_letter"]

    response = client.post(org.url(f"{posting_id}/modifier"), data=data, headers=EN)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(org.url(str(posting_id)))
    with app.app_context():
        posting = db.session.get(Posting, posting_id)
        assert posting.title == "Chargé·e de mission conseils citoyens"
        assert posting.slug == slugify("Chargé·e de mission conseils citoyens")
        assert posting.pay_kind == "gratification"
        assert (posting.pay_min, posting.pay_max, posting.pay_period, posting.pay_basis) == (
            None, None, None, None)
        assert posting.hours_per_week is None
        assert posting.asks_letter is False
        assert posting.deadline == datetime(2030, 3, 19, 11, 0, tzinfo=UTC)
        assert posting.deadline_end_of_day is False
        assert [c.name for c in posting.contacts] == ["Claire Fontaine", org.lead_name]
        event = db.session.scalars(
            sa.select(Event).where(Event.action == "posting.edit")
        ).one()
        assert event.actor_id == org.admin_id
        assert event.data["fields"] == sorted([
            "title", "pay_kind", "pay_min", "pay_max", "pay_period", "pay_basis",
            "hours_per_week", "deadline", "deadline_end_of_day", "asks_letter", "contacts",
        ])
    page = client.get(org.url(f"{posting_id}/modifier"), headers=EN)
    values, checkboxes = form_values(page.get_data(as_text=True))
    assert values["deadline_date"] == "2030-03-19"
    assert values["deadline_time"] == "12:00"
    assert checkboxes["asks_letter"] is False


def test_form_edit_without_change_records_no_event(app, client, login):
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)
    data = complete_form(org.lead_id)
    post_new(client, org, data)
    with app.app_context():
        posting_id = db.session.scalar(sa.select(Posting.id))

    response = client.post(org.url(f"{posting_id}/modifier"), data=data, headers=EN,
                           follow_redirects=True)

    assert "Nothing to save: the offer was not changed." in text(response)
    with app.app_context():
        assert db.session.scalars(sa.select(Event.action)).all() == ["posting.create"]


def test_form_deadline_uses_the_organisation_timezone(app, client, login):
    with app.app_context():
        org = make_org(timezone="Indian/Reunion")  # UTC+4, no daylight saving
        db.session.commit()
    login(org.admin_email)
    data = complete_form(org.lead_id)
    data.update(deadline_date="2030-07-01", deadline_time="09:30")

    post_new(client, org, data)

    with app.app_context():
        posting = db.session.scalars(sa.select(Posting)).one()
        assert posting.deadline == datetime(2030, 7, 1, 5, 30, tzinfo=UTC)
        assert posting.deadline_end_of_day is False
    values, _ = form_values(client.get(org.url(f"{posting.id}/modifier")).get_data(as_text=True))
    assert (values["deadline_date"], values["deadline_time"]) == ("2030-07-01", "09:30")


def test_form_minimal_draft_without_deadline_is_saved(app, client, login):
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)

    response = post_new(client, org, {
        "title": "Service civique", "contract_type": "service_civique",
        "working_time": "full_time", "remote": "none", "pay_kind": "unspecified",
    })

    assert response.status_code == 302
    with app.app_context():
        posting = db.session.scalars(sa.select(Posting)).one()
        assert (posting.title, posting.contract_type, posting.deadline) == (
            "Service civique", "service_civique", None)
        # Boxes not sent are unticked: no email applications, no documents asked.
        assert (posting.accepts_email, posting.asks_cv, posting.asks_letter) == (
            False, False, False)
        assert posting.contacts == []


def test_form_new_page_ticks_the_usual_boxes(app, client, login):
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)

    response = client.get(org.url("nouvelle"), headers=EN)

    assert response.status_code == 200
    values, checkboxes = form_values(response.get_data(as_text=True))
    assert checkboxes == {"asks_cv": True, "asks_letter": True, "accepts_email": True,
                          "answer_promise": True}
    assert values["contract_type"] == ""
    assert values["working_time"] == "full_time"
    # Six contact rows, the members of the organisation offered in each.
    assert [f"contacts-{i}-email" in values for i in range(7)] == [True] * 6 + [False]
    page = response.get_data(as_text=True)
    assert page.count(f'<option value="{org.lead_id}">Léo Lead</option>') == 6


def test_form_past_deadline_is_saved_with_a_warning(app, client, login):
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)
    data = complete_form(org.lead_id)
    data["deadline_date"] = "2020-03-19"

    response = client.post(org.url("nouvelle"), data=data, headers=EN, follow_redirects=True)

    assert response.status_code == 200
    assert "The deadline is already past" in text(response)
    with app.app_context():
        assert posting_count() == 1


BAD_INPUT = [
    ({"title": "  "}, "Give the offer a title."),
    ({"contract_type": ""}, "Choose the type of contract."),
    ({"contract_type": "freelance"}, "Choose one of the options in the list."),
    ({"remote": "sometimes"}, "Choose one of the options in the list."),
    ({"pay_period": "week"}, "Choose one of the options in the list."),
    ({"pay_min": "2000", "pay_max": "1800"}, "The highest pay cannot be below the lowest."),
    ({"pay_min": "NaN"}, "Type a number, for example 1800 or 35,5."),
    ({"pay_min": "-5"}, "Type an amount in euros."),
    ({"duration_min_months": "6", "duration_max_months": "3"},
     "The longest duration cannot be shorter than the shortest."),
    ({"duration_min_months": "0"}, "Between 1 and 120 months."),
    ({"duration_max_months": "six"}, "Type a whole number, for example 6."),
    ({"contract_start": "2030-05-01", "contract_end": "2030-04-30"},
     "The contract cannot end before it starts."),
    ({"start_earliest": "2030-05-01", "start_latest": "2030-04-30"},
     "The latest start cannot come before the earliest."),
    ({"contract_start": "2030-02-30"}, "Type a date, for example 2024-03-20."),
    ({"hours_per_week": "0"}, "Between 1 and 60 hours a week."),
    ({"hours_per_week": "61"}, "Between 1 and 60 hours a week."),
    ({"hours_per_week": "beaucoup"}, "Type a number, for example 1800 or 35,5."),
    ({"pay_min": "", "pay_max": ""}, "Give an amount (from, up to, or both)."),
    ({"pay_kind": "gratification"}, "Only for a pay given as an amount"),
    ({"pay_kind": "unspecified", "pay_min": "", "pay_max": "", "pay_period": "",
      "pay_basis": "net"}, "Only for a pay given as an amount"),
    ({"deadline_date": "", "deadline_time": "12:00"},
     "Give the day of the deadline as well as the time."),
    ({"deadline_time": "25:00"}, "Type a time, for example 12:00."),
    ({"contacts-0-email": "claire.fontaine"},
     "Type a valid email address, like name@example.org."),
    ({"contacts-2-email": ""}, "Choose a member or give this person's email."),
    ({"contacts-1-email": "leo@example.org"},
     "Choose a member or type an outside person's name and email, not both."),
    ({"contacts-1-user_id": "999999"}, "Choose one of the options in the list."),
    ({"contacts-1-role": "boss"}, "Choose one of the options in the list."),
    ({"contacts-0-role": "cc"},
     "Name at least one contact with the role “Send applications to”, or untick this box."),
    ({"source_url": "javascript:alert(1)"}, "Type a full web address starting with https://."),
    ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INPUT)
def test_form_bad_input_on_new_offer_is_refused_with_message(app, client, login, changes,
                                                             message):
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)
    data = complete_form(org.lead_id)
    data.update(changes)

    response = post_new(client, org, data)

    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert "Please correct the fields marked below." in page
    with app.app_context():
        assert posting_count() == 0


@pytest.mark.parametrize(("changes", "message"), BAD_INPUT[::3])
def test_form_bad_input_on_edit_changes_nothing(app, client, login, changes, message):
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)
    data = complete_form(org.lead_id)
    post_new(client, org, data)
    with app.app_context():
        posting = db.session.scalars(sa.select(Posting)).one()
        before = {c.key: getattr(posting, c.key) for c in Posting.__table__.columns}
        contacts_before = db.session.scalars(sa.select(PostingContact.id)).all()
    data.update(changes)

    response = client.post(org.url(f"{posting.id}/modifier"), data=data, headers=EN)

    assert response.status_code == 200
    assert message in text(response)
    with app.app_context():
        posting = db.session.get(Posting, posting.id)
        assert {c.key: getattr(posting, c.key) for c in Posting.__table__.columns} == before
        assert db.session.scalars(sa.select(PostingContact.id)).all() == contacts_before


def test_form_published_offer_keeps_its_deadline(app, client, login):
    with app.app_context():
        org = make_org()
        posting = factories.posting(_org(org.id), status=PostingStatus.PUBLISHED)
        db.session.commit()
        posting_id = posting.id
    login(org.admin_email)
    data = edit_form_data(client, org, posting_id)
    data["deadline_date"] = ""
    data["deadline_time"] = ""

    response = client.post(org.url(f"{posting_id}/modifier"), data=data, headers=EN)

    assert response.status_code == 200
    assert "An offer that has been published keeps a deadline." in text(response)
    with app.app_context():
        assert db.session.get(Posting, posting_id).deadline is not None


def test_form_published_offer_saved_unchanged_from_its_own_page(app, client, login):
    """What the edit page shows of a factory-made offer posts back as valid, unchanged."""
    with app.app_context():
        org = make_org()
        posting = factories.posting(_org(org.id), status=PostingStatus.PUBLISHED)
        db.session.commit()
        posting_id = posting.id
    login(org.admin_email)
    data = edit_form_data(client, org, posting_id)

    response = client.post(org.url(f"{posting_id}/modifier"), data=data, headers=EN,
                           follow_redirects=True)

    assert "Nothing to save: the offer was not changed." in text(response)


def _org(org_id):
    from tracker.accounts.models import Organisation

    return db.session.get(Organisation, org_id)


def test_form_draft_without_subject_line_is_saved(app, client, login):
    """The subject line is recommended (emailed applications are matched by it), not required."""
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)
    data = complete_form(org.lead_id)
    data["subject_line"] = ""

    response = post_new(client, org, data)

    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(sa.select(Posting.subject_line)).one() == ""


def test_form_keeps_a_contact_who_left_the_organisation(app, client, login):
    from tracker.accounts.models import Membership, User

    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)
    data = complete_form(org.lead_id)
    post_new(client, org, data)
    with app.app_context():
        posting_id = db.session.scalar(sa.select(Posting.id))
        db.session.delete(db.session.scalars(
            sa.select(Membership).where(Membership.user_id == org.lead_id)).one())
        db.session.commit()

    page = client.get(org.url(f"{posting_id}/modifier"), headers=EN)
    values, _ = form_values(page.get_data(as_text=True))
    data["title"] = "Nouveau titre"
    response = client.post(org.url(f"{posting_id}/modifier"), data=data, headers=EN)

    assert values["contacts-1-user_id"] == str(org.lead_id)
    assert "Léo Lead (former member)" in text(page)
    assert response.status_code == 302
    with app.app_context():
        posting = db.session.get(Posting, posting_id)
        assert [c.user_id for c in posting.contacts] == [None, org.lead_id, None]
        # ...but nobody else outside the organisation can be added.
        stranger = factories.user(None, email="stranger@example.com")
        db.session.commit()
        stranger_id = stranger.id
    data["contacts-2-user_id"] = str(stranger_id)
    data["contacts-2-name"] = data["contacts-2-email"] = ""
    response = client.post(org.url(f"{posting_id}/modifier"), data=data, headers=EN)
    assert response.status_code == 200
    assert "Choose one of the options in the list." in text(response)
    with app.app_context():
        assert db.session.get(User, stranger_id) is not None
        assert [c.user_id for c in db.session.get(Posting, posting_id).contacts] == [
            None, org.lead_id, None]


def test_form_page_renders_in_french(app, client, login):
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)

    response = client.get(org.url("nouvelle"), headers={"Accept-Language": "fr"})

    assert response.status_code == 200
    assert '<html lang="fr">' in response.get_data(as_text=True)
