"""flask demo: the three sample offers, published, with their contacts; safe to run again."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from markupsafe import escape

from tests import factories
from tests.pdf.helpers import contains, pdf_text
from tracker.accounts.models import Membership, Organisation, Role, User
from tracker.db import db, utcnow
from tracker.demo.data import DEMO_PASSWORD
from tracker.postings.models import ContactRole, Posting, PostingStatus

PARIS = ZoneInfo("Europe/Paris")
STAGE = "Stage Démocratie permanente"
ALTERNANCE = "Chargé·e de mission junior Implication citoyenne"
CDD = "Chargé·e d'accompagnement des conseils citoyens de la métropole nantaise"


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Organisation, User, Membership, Posting)
    }


def postings_by_title() -> dict[str, Posting]:
    return {p.title: p for p in db.session.scalars(sa.select(Posting))}


def run_demo(runner, *args):
    result = runner.invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output
    return result


def test_demo_loads_two_organisations_three_accounts_three_offers(app, runner):
    result = run_demo(runner)

    assert "3 offer(s)" in result.output
    with app.app_context():
        assert counts() == {"Organisation": 2, "User": 3, "Membership": 4, "Posting": 3}
        orgs = {o.slug: o for o in db.session.scalars(sa.select(Organisation))}
        assert orgs["villes-au-carre"].name == "Villes au Carré"
        assert orgs["villes-au-carre"].city == "Tours"
        assert orgs["reso-villes"].name == "RésO Villes"
        assert orgs["reso-villes"].city == "Nantes"
        roles = {
            (m.user.email, m.organisation.slug): m.role
            for m in db.session.scalars(sa.select(Membership))
        }
        assert roles == {
            ("admin@example.org", "villes-au-carre"): Role.ADMIN,
            ("admin@example.org", "reso-villes"): Role.ADMIN,
            ("claire.fontaine@example.org", "villes-au-carre"): Role.LEAD,
            ("gaelle.lefloch@example.net", "reso-villes"): Role.LEAD,
        }
        for user in db.session.scalars(sa.select(User)):
            assert user.check_password(DEMO_PASSWORD)


def test_demo_offers_are_public_open_with_exact_subject_lines(app, runner):
    run_demo(runner)

    with app.app_context():
        now = utcnow()
        postings = postings_by_title()
        assert set(postings) == {STAGE, ALTERNANCE, CDD}
        for posting in postings.values():
            assert posting.status == PostingStatus.PUBLISHED
            assert posting.is_public
            assert posting.is_open(now)
            assert posting.published_at is not None
        assert postings[ALTERNANCE].subject_line == "Candidature alternance Implication citoyenne"
        assert postings[STAGE].subject_line == "Candidature stagiaire démocratie permanente"
        assert postings[CDD].subject_line == (
            "Candidature chargé.e d'accompagnement des conseils citoyens"
        )
        assert postings[STAGE].organisation.slug == "villes-au-carre"
        assert postings[ALTERNANCE].organisation.slug == "villes-au-carre"
        assert postings[CDD].organisation.slug == "reso-villes"


def test_demo_offers_have_their_contacts_with_leads_linked(app, runner):
    run_demo(runner)

    with app.app_context():
        claire = db.session.scalar(
            sa.select(User).where(User.email == "claire.fontaine@example.org")
        )
        postings = postings_by_title()

        def contacts(title):
            return [(c.name, c.email, c.role, c.user_id) for c in postings[title].contacts]

        assert contacts(STAGE) == [
            ("Anne-Sophie Garnier", "annesophie.garnier@example.org", ContactRole.TO, None),
            ("Claire Fontaine", "claire.fontaine@example.org", ContactRole.TO, claire.id),
        ]
        assert contacts(ALTERNANCE) == [
            ("Claire Fontaine", "claire.fontaine@example.org", ContactRole.TO, claire.id),
            ("Inès Moreau", "ines.moreau@example.org", ContactRole.TO, None),
        ]
        assert contacts(CDD) == [
            ("RésO Villes – recrutement", "recrutement@example.net", ContactRole.TO, None),
        ]


def test_demo_offers_carry_the_sample_fields_with_future_dates(app, runner):
    run_demo(runner)

    with app.app_context():
        today = utcnow().astimezone(PARIS).date()
        postings = postings_by_title()
        stage, alternance, cdd = postings[STAGE], postings[ALTERNANCE], postings[CDD]

        # Deadlines: whole days (inclusive, until 23:59:59 Paris time), 10/20/30 days ahead.
        for posting, days in ((stage, 10), (alternance, 20), (cdd, 30)):
            local = posting.deadline.astimezone(PARIS)
            assert local.date() == today + timedelta(days=days)
            assert local.time() == time(23, 59, 59)
            assert posting.deadline_end_of_day is True

        # "du 28 août 2023 au 27 août 2024", after the deadline.
        assert (alternance.contract_start.month, alternance.contract_start.day) == (8, 28)
        assert alternance.contract_end == date(alternance.contract_start.year + 1, 8, 27)
        assert alternance.contract_start > alternance.deadline.date()
        assert alternance.pay_kind == "gratification"
        assert alternance.source_url.startswith("https://www.professionbanlieue.org/")
        assert alternance.remote == "partial"

        # "3 à 6 mois entre avril et octobre", closure weeks, answer promise.
        assert (stage.duration_min_months, stage.duration_max_months) == (3, 6)
        assert stage.contract_start == date(stage.contract_start.year, 4, 1)
        assert stage.contract_end == date(stage.contract_start.year, 10, 31)
        assert stage.contract_start > stage.deadline.date()
        assert "entre le 25 juillet et le 16 août" in stage.closure_note
        assert stage.answer_promise is True
        assert stage.contract_type == "stage"

        # "CDD 12 mois", "30h hebdo", "1800 € brut mensuel", evenings and week-ends.
        assert cdd.contract_type == "cdd"
        assert cdd.working_time == "part_time"
        assert cdd.hours_per_week == 30
        assert (cdd.pay_min, cdd.pay_max, cdd.pay_period, cdd.pay_basis) == (
            1800, 1800, "month", "gross"
        )
        assert cdd.benefits == "Mutuelle santé, tickets restaurant"
        assert (cdd.contract_start.month, cdd.contract_start.day) == (1, 10)
        assert cdd.schedule_note == "Travail possible en soirée et en week-end"
        # Nested Markdown lists kept.
        assert "\n  - Soutenir les conseils citoyens dans leur fonctionnement" in cdd.missions
        assert "\n  - Rencontres régulières" in alternance.missions


def test_demo_run_twice_adds_nothing(app, runner):
    run_demo(runner)
    with app.app_context():
        before = counts()
        ids = sorted(db.session.scalars(sa.select(Posting.id)))

    result = run_demo(runner)

    assert "nothing to add" in result.output
    with app.app_context():
        assert counts() == before
        assert sorted(db.session.scalars(sa.select(Posting.id))) == ids


def test_demo_adds_only_what_is_missing(app, runner):
    run_demo(runner)
    with app.app_context():
        db.session.delete(postings_by_title()[CDD])
        db.session.commit()
        kept = {p.title: p.id for p in postings_by_title().values()}

    run_demo(runner)

    with app.app_context():
        now = postings_by_title()
        assert counts() == {"Organisation": 2, "User": 3, "Membership": 4, "Posting": 3}
        assert {t: now[t].id for t in kept} == kept
        assert now[CDD].status == PostingStatus.PUBLISHED


def test_demo_if_empty_does_nothing_when_an_organisation_exists(app, runner):
    with app.app_context():
        factories.organisation()
        db.session.commit()

    result = run_demo(runner, "--if-empty")

    assert "not loaded" in result.output
    with app.app_context():
        assert counts() == {"Organisation": 1, "User": 0, "Membership": 0, "Posting": 0}


def test_demo_if_empty_loads_into_empty_database(app, runner):
    run_demo(runner, "--if-empty")

    with app.app_context():
        assert counts()["Posting"] == 3


def test_demo_admin_logs_in_with_demo_password(app, runner, client, login):
    run_demo(runner)

    login("admin@example.org", DEMO_PASSWORD)
    login("claire.fontaine@example.org", DEMO_PASSWORD)


def test_demo_offers_appear_on_board(app, runner, client):
    run_demo(runner)

    html = client.get("/").get_data(as_text=True)

    for title in (STAGE, ALTERNANCE, CDD):
        assert str(escape(title)) in html


def test_demo_offer_sheets_render(app, runner, client):
    run_demo(runner)
    with app.app_context():
        sheets = [(p.id, p.slug, p.title, p.subject_line) for p in postings_by_title().values()]

    for posting_id, slug, title, subject in sheets:
        response = client.get(f"/offres/{posting_id}-{slug}.pdf")
        assert response.status_code == 200
        text = pdf_text(response.get_data())
        assert contains(text, title)
        assert contains(text, subject)


def test_demo_dates_survive_a_year_end(app, runner):
    """Loaded on 20 December: every date still lies after its deadline."""
    from tracker.demo.data import postings

    for spec in postings(datetime(2026, 12, 20, 12, tzinfo=PARIS)):
        start = spec.fields["contract_start"]
        assert start > spec.fields["deadline"].date(), spec.title
