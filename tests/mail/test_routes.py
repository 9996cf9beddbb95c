"""Back office: the organisation's email templates (admins) and its outbox (members)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tracker.accounts.models import Organisation, Role
from tracker.audit.models import Event
from tracker.db import db, utcnow
from tracker.mail.models import Message, MessageTemplate
from tracker.mail.services import queue_message
from tracker.mail.templates import KIND_SLUGS, render_email

BASE = "/gestion/villes-au-carre"
ACK = f"{BASE}/modeles/accuse-de-reception/fr"
NOTIFICATION = f"{BASE}/modeles/nouvelle-candidature/en"


@dataclass
class Team:
    org_id: int
    other_org_id: int
    admin: str
    lead: str


@pytest.fixture
def team(app, client) -> Team:
    client.get("/langue/en")
    with app.app_context():
        org = factories.organisation(name="Villes au carré", slug="villes-au-carre")
        other = factories.organisation(name="Réseau des villes", slug="reseau")
        admin = factories.user(org, Role.ADMIN, email="claire.fontaine@example.org")
        lead = factories.user(org, Role.LEAD, email="ines.moreau@example.org")
        db.session.commit()
        return Team(org.id, other.id, admin.email, lead.email)


def text(page: str) -> str:
    """The page's words; non-breaking spaces stay (French typography is checked too)."""
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def field_error(page: str, field_id: str) -> str | None:
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', page, re.DOTALL)
    return html.unescape(match.group(1)).strip() if match else None


def _events(app, action):
    with app.app_context():
        return [(e.action, e.object_type, e.data) for e in db.session.scalars(
            sa.select(Event).where(Event.action == action).order_by(Event.id))]


# --- Templates ----------------------------------------------------------------------------------


def test_templates_list_every_kind_in_every_language(client, team, login):
    login(team.admin)
    page = client.get(f"{BASE}/modeles").get_data(as_text=True)
    links = re.findall(r'href="(/gestion/villes-au-carre/modeles/[^"]+)"', page)
    assert links == [
        f"{BASE}/modeles/{slug}/{lang}"
        for slug in ("accuse-de-reception", "accuse-de-reception-nouvel-envoi",
                     "nouvelle-candidature", "candidature-retiree",
                     "reponse-retenu", "reponse-non-retenu", "entretien-invitation",
                     "entretien-modification", "entretien-annulation", "entretien-evaluateurs",
                     "rappel-date-limite-proche", "rappel-offre-close", "rappel-avis-a-donner",
                     "rappel-sans-reponse", "resume-quotidien", "rappel-entretien-demain",
                     "rappel-entretien-demain-candidat", "rappel-prise-de-poste")
        for lang in ("fr", "en")
    ]
    assert text(page).count("Default text") == 36
    assert "Application received: {{ posting_title }}" in html.unescape(page)
    assert "Your digest of {{ digest_date }} – {{ organisation_name }}" in html.unescape(page)
    assert text(page).count("Subject: the offer's subject line and the candidate's name") == 2


@pytest.mark.parametrize("slug", list(KIND_SLUGS.values()))
def test_every_kind_opens_in_the_editor(client, team, login, slug):
    login(team.admin)
    for lang in ("fr", "en"):
        page = client.get(f"{BASE}/modeles/{slug}/{lang}")
        assert page.status_code == 200, (slug, lang)
        assert "{% if " in html.unescape(page.get_data(as_text=True))


def test_the_digest_editor_shows_a_condition_on_its_own_placeholder(client, team, login):
    login(team.admin)
    page = client.get(f"{BASE}/modeles/resume-quotidien/fr", headers={"Accept-Language": "en"})
    assert "{% if items %}…{% endif %}" in html.unescape(page.get_data(as_text=True))


def test_templates_are_admin_only(client, team, login):
    login(team.lead)
    assert client.get(f"{BASE}/modeles").status_code == 403
    assert client.get(ACK).status_code == 403
    assert client.post(ACK, data={"subject": "x", "body": "y", "save": "1"}).status_code == 403
    assert client.post(f"{ACK}/reinitialiser").status_code == 403


@pytest.mark.parametrize("url", [f"{BASE}/modeles/inconnu/fr", f"{BASE}/modeles/"
                                 "accuse-de-reception/de", f"{BASE}/modeles/application"
                                 ".acknowledgement/fr"])
def test_template_unknown_kind_or_language_is_404(client, team, login, url):
    login(team.admin)
    assert client.get(url).status_code == 404


def test_template_edit_shows_the_default_and_its_preview(client, team, login):
    login(team.admin)
    page = client.get(ACK).get_data(as_text=True)
    assert 'value="Candidature bien reçue\u00a0: {{ posting_title }}"' in page
    assert "Bonjour {{ candidate_first_name }} {{ candidate_last_name }}," in page
    assert "{{ private_link }}" in text(page)  # listed among the placeholders
    # The preview uses sample values and the organisation's name.
    assert "Subject: Candidature bien reçue\u00a0: Chargé·e de mission conseils citoyens" in (
        text(page))
    assert "Bonjour Léa Martin," in text(page)
    assert re.search(r'<iframe [^>]*sandbox[^>]*srcdoc="&lt;!DOCTYPE html&gt;', page)
    assert "Bien cordialement, Villes au carré" in text(page.split('id="preview-title"')[1])
    assert "Go back to the default text" not in page  # nothing to reset yet


def test_template_save_creates_the_organisations_own_and_is_used(app, client, team, login):
    login(team.admin)
    response = client.post(ACK, data={
        "subject": "Merci {{ candidate_first_name }}",
        "body": "Bien reçu ({{ reference }}).\r\n\r\n{{ organisation_name }}",
        "save": "Save",
    })
    assert response.status_code == 302
    assert response.headers["Location"] == ACK
    with app.app_context():
        row = db.session.scalar(sa.select(MessageTemplate))
        assert (row.organisation_id, row.kind, row.locale, row.subject, row.body) == (
            team.org_id, "application.acknowledgement", "fr", "Merci {{ candidate_first_name }}",
            "Bien reçu ({{ reference }}).\n\n{{ organisation_name }}\n")
        org = db.session.get(Organisation, team.org_id)
        email = render_email(org, "application.acknowledgement", "fr", {
            "candidate_first_name": "Léa", "reference": "R1", "organisation_name": org.name})
        assert (email.subject, email.text) == ("Merci Léa", "Bien reçu (R1).\n\nVilles au carré\n")
        template_id = row.id
    assert _events(app, "mail_template.create") == [
        ("mail_template.create", "message_template",
         {"kind": "application.acknowledgement", "locale": "fr"})]
    page = client.get(ACK).get_data(as_text=True)
    assert "The email template has been saved: it is used from now on." in text(page)
    assert "Your own text" in text(page)
    listing = client.get(f"{BASE}/modeles").get_data(as_text=True)
    assert text(listing).count("Your own text") == 1
    # Saving the same text again changes nothing and records nothing.
    client.post(ACK, data={"subject": "Merci {{ candidate_first_name }}",
                           "body": "Bien reçu ({{ reference }}).\n\n{{ organisation_name }}",
                           "save": "Save"})
    assert _events(app, "mail_template.edit") == []
    client.post(ACK, data={"subject": "Merci", "body": "Bien reçu.", "save": "Save"})
    with app.app_context():
        assert db.session.get(MessageTemplate, template_id).body == "Bien reçu.\n"
    assert len(_events(app, "mail_template.edit")) == 1


def test_template_unknown_placeholder_is_a_field_error_and_saves_nothing(app, client, team,
                                                                         login):
    login(team.admin)
    response = client.post(ACK, data={"subject": "Merci", "body": "Bonjour {{ prenom }}",
                                      "save": "Save"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "body") == (
        "Unknown placeholder: {{ prenom }}. The placeholders of this email are listed beside "
        "the form.")
    assert "Bonjour {{ prenom }}" in page  # what was typed stays
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MessageTemplate)) == 0


def test_template_syntax_error_and_empty_fields(client, team, login):
    login(team.admin)
    page = client.post(ACK, data={"subject": "Merci {{", "body": "", "save": "Save"}).get_data(
        as_text=True)
    assert field_error(page, "body") == "Write the text of the email."
    page = client.post(ACK, data={"subject": "", "body": "x", "save": "Save"}).get_data(
        as_text=True)
    assert field_error(page, "subject") == "Write the subject of the email."
    page = client.post(ACK, data={"subject": "Merci {{", "body": "x", "save": "Save"}).get_data(
        as_text=True)
    assert field_error(page, "subject").startswith("Template syntax error on line 1: ")
    page = client.post(ACK, data={"subject": "Merci", "body": "a\n{% if message %}b",
                                  "save": "Save"}).get_data(as_text=True)
    assert field_error(page, "body") == (
        "Line 2: the text ends before a block is closed; every {% if … %} needs its "
        "{% endif %}.")


def test_template_preview_shows_changes_without_saving(app, client, team, login):
    login(team.admin)
    page = client.post(ACK, data={"subject": "Merci {{ candidate_first_name }}",
                                  "body": "Référence {{ reference }}", "preview": "Preview"}
                       ).get_data(as_text=True)
    assert "Subject: Merci Léa" in text(page)
    assert "Référence VAC-2026-00042" in text(page)
    assert "they are not saved yet" in text(page)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MessageTemplate)) == 0


def test_template_with_fixed_subject_edits_the_body_only(app, client, team, login):
    login(team.admin)
    page = client.get(NOTIFICATION).get_data(as_text=True)
    assert 'name="subject"' not in page
    assert "This email goes out under the offer's required subject line" in text(page)
    response = client.post(NOTIFICATION, data={"body": "Nouvelle : {{ candidate_name }}",
                                               "save": "Save"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.scalar(sa.select(MessageTemplate))
        assert (row.kind, row.locale, row.subject, row.body) == (
            "application.notification", "en", "New application: {{ candidate_name }} – "
            "{{ posting_title }}", "Nouvelle : {{ candidate_name }}\n")


def test_template_reset_goes_back_to_the_default(app, client, team, login):
    login(team.admin)
    client.post(ACK, data={"subject": "Merci", "body": "Bien reçu.", "save": "Save"})
    with app.app_context():
        template_id = db.session.scalar(sa.select(MessageTemplate.id))
    page = client.get(ACK).get_data(as_text=True)
    assert "Go back to the default text" in page
    response = client.post(f"{ACK}/reinitialiser")
    assert (response.status_code, response.headers["Location"]) == (302, ACK)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MessageTemplate)) == 0
        [event] = db.session.scalars(sa.select(Event).where(
            Event.action == "mail_template.reset")).all()
        assert (event.object_id, event.data) == (
            template_id, {"kind": "application.acknowledgement", "locale": "fr"})
    page = client.get(ACK).get_data(as_text=True)
    assert "The default text is used again for this email." in text(page)
    client.post(f"{ACK}/reinitialiser")
    assert "This email already uses the default text." in text(client.get(ACK).get_data(
        as_text=True))


def test_templates_of_one_organisation_do_not_leak_to_another(app, client, team, login):
    with app.app_context():
        db.session.add(MessageTemplate(organisation_id=team.other_org_id,
                                       kind="application.acknowledgement", locale="fr",
                                       subject="Secret", body="Texte secret"))
        db.session.commit()
    login(team.admin)
    page = client.get(ACK).get_data(as_text=True)
    assert "Texte secret" not in page and "Default text" in text(page)
    assert client.get("/gestion/reseau/modeles").status_code == 404


# --- The outbox ---------------------------------------------------------------------------------


def _queue(app, org_id, n, **values):
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        ids = [queue_message(organisation=org, kind="application.acknowledgement",
                             recipients=[f"candidate{i}@example.com"],
                             subject=f"Candidature bien reçue {i}", body_text="B", **values).id
               for i in range(n)]
        db.session.commit()
        return ids


def test_outbox_lists_the_organisations_messages_newest_first(app, client, team, login):
    ids = _queue(app, team.org_id, 3)
    _queue(app, team.other_org_id, 1, cc=["secret@example.org"])
    with app.app_context():
        db.session.execute(sa.update(Message).where(Message.id == ids[0]).values(
            status="sent", sent_at=utcnow(), attempts=1))
        db.session.execute(sa.update(Message).where(Message.id == ids[1]).values(
            attempts=2, last_error="Could not connect to the SMTP server",
            next_try_at=utcnow() + timedelta(minutes=5)))
        db.session.commit()
    login(team.admin)
    response = client.get(f"{BASE}/envois")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.findall(r'<tr id="message-(\d+)">', page) == [str(i) for i in reversed(ids)]
    assert "secret@example.org" not in page
    row = page.split(f'id="message-{ids[1]}"')[1].split("</tr>")[0]
    assert "Waiting to be sent" in text(row) and "Next try:" in text(row)
    assert "Could not connect to the SMTP server" in text(row)
    assert "Acknowledgement to the candidate" in text(row)
    assert "candidate1@example.com" in row
    assert "Sent" in text(page.split(f'id="message-{ids[0]}"')[1].split("</tr>")[0])


def test_outbox_is_for_admins_only(client, team, login):
    """It lists every candidate of every offer: a lead sees their offers' drafts page instead."""
    login(team.lead)
    assert client.get(f"{BASE}/envois").status_code == 403


def test_outbox_filters_by_status_and_paginates(app, client, team, login, monkeypatch):
    monkeypatch.setitem(app.config, "ADMIN_PAGE_SIZE", 2)
    ids = _queue(app, team.org_id, 5)
    with app.app_context():
        db.session.execute(sa.update(Message).where(Message.id == ids[0]).values(
            status="failed", attempts=8))
        db.session.commit()
    login(team.admin)
    page = client.get(f"{BASE}/envois?statut=failed").get_data(as_text=True)
    assert re.findall(r'<tr id="message-(\d+)">', page) == [str(ids[0])]
    first = client.get(f"{BASE}/envois").get_data(as_text=True)
    assert re.findall(r'<tr id="message-(\d+)">', first) == [str(ids[4]), str(ids[3])]
    assert "Page 1 of 3" in text(first)
    last = client.get(f"{BASE}/envois?page=3").get_data(as_text=True)
    assert re.findall(r'<tr id="message-(\d+)">', last) == [str(ids[0])]
    # Unknown filters and pages show the whole list or an empty page, never an error.
    assert client.get(f"{BASE}/envois?statut=bogus&page=x").status_code == 200
    assert "No email with this status." in text(
        client.get(f"{BASE}/envois?statut=sending").get_data(as_text=True))


def test_outbox_query_count_does_not_grow_with_the_list(app, client, team, login, queries):
    login(team.admin)
    _queue(app, team.org_id, 2)
    client.get(f"{BASE}/envois")
    with queries() as few:
        client.get(f"{BASE}/envois")
    _queue(app, team.org_id, 20)
    with queries() as many:
        client.get(f"{BASE}/envois")
    assert many() == few()


def test_outbox_empty(client, team, login):
    login(team.admin)
    page = client.get(f"{BASE}/envois").get_data(as_text=True)
    assert "No email yet." in text(page)


def test_backoffice_nav_links_outbox_and_templates(client, team, login):
    login(team.admin)
    page = client.get(f"{BASE}/envois").get_data(as_text=True)
    nav = re.search(r'<nav class="backoffice-nav".*?</nav>', page, re.DOTALL).group(0)
    assert f'<a href="{BASE}/envois" aria-current="page">Outbox</a>' in nav
    assert f'<a href="{BASE}/modeles">Email templates</a>' in nav


def test_template_form_drops_control_characters_and_line_breaks_in_subject(app):
    from tracker.mail.forms import _normalise_body, _strip

    assert _strip("Candidature\r\nBcc: x@example.com\x00") == "Candidature Bcc: x@example.com"
    assert _normalise_body("Bonjour\x00,\r\n\x1b{{ candidate_first_name }}\n") == (
        "Bonjour,\n{{ candidate_first_name }}")
