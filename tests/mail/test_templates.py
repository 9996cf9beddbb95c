"""Email templates: the defaults in French and English, an organisation's own, the checks."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tracker.db import db
from tracker.mail.models import MessageTemplate
from tracker.mail.templates import (
    DEFAULTS_DIR,
    KINDS,
    LOCALES,
    TemplateProblem,
    check_template,
    default_template,
    document_lines,
    render_email,
    sample_context,
    text_to_html,
)

NBSP, NNBSP = "\u00a0", "\u202f"


def _ack_context(**changes) -> dict[str, str]:
    values = {
        "candidate_first_name": "Léa", "candidate_last_name": "Martin",
        "reference": "VAC-2026-00042", "posting_title": "Chargé·e de mission",
        "organisation_name": "Villes au carré",
        "deadline": f"jusqu’au 20{NBSP}mars{NBSP}2026 à 23{NBSP}h{NBSP}59",
        "private_link": "https://emplois.example.org/candidature/abc",
        "answer_promise": "yes",
    }
    values.update(changes)
    return values


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_default_template_exists_and_passes_the_editor_check(app, kind, locale):
    with app.test_request_context("/?lang=en"):
        subject, body = default_template(kind, locale)
        check_template(kind, locale, subject, body)
        email = render_email(None, kind, locale, sample_context(kind, locale))
    assert email.subject and "{" not in email.subject and "{" not in email.text
    assert email.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{locale}">' in email.html
    assert sorted(p.name for p in (DEFAULTS_DIR / locale).iterdir()) == sorted(
        f"{k}.txt" for k in KINDS)


def test_acknowledgement_in_french_says_everything(app):
    with app.test_request_context("/?lang=en"):
        email = render_email(None, "application.acknowledgement", "fr", _ack_context())
    assert email.subject == f"Candidature bien reçue{NBSP}: Chargé·e de mission"
    assert email.text == (
        "Bonjour Léa Martin,\n"
        "\n"
        f"Merci pour votre candidature à l’offre «{NBSP}Chargé·e de mission{NBSP}». "
        "Nous l’avons bien reçue.\n"
        "\n"
        f"Votre numéro de référence{NBSP}: VAC-2026-00042\n"
        "Indiquez-le si vous nous écrivez au sujet de cette candidature.\n"
        "\n"
        f"Et ensuite{NNBSP}?\n"
        f"L’offre reste ouverte jusqu’au 20{NBSP}mars{NBSP}2026 à 23{NBSP}h{NBSP}59. "
        "L’équipe étudiera ensuite l’ensemble des candidatures reçues.\n"
        "Quelle que soit la suite donnée, vous recevrez une réponse.\n"
        "\n"
        f"Votre lien personnel{NBSP}:\n"
        "https://emplois.example.org/candidature/abc\n"
        "Il vous permet de suivre votre candidature, de la retirer ou de l’effacer avec toutes "
        f"vos données. Gardez-le pour vous{NBSP}: il donne accès à votre candidature sans mot "
        "de passe.\n"
        "\n"
        "Bien cordialement,\n"
        "\n"
        "Villes au carré\n"
    )


def test_acknowledgement_without_a_promise_promises_nothing(app):
    with app.test_request_context("/?lang=en"):
        french = render_email(None, "application.acknowledgement", "fr",
                              _ack_context(answer_promise="")).text
        english = render_email(None, "application.acknowledgement", "en",
                               _ack_context(answer_promise="")).text
    assert "réponse" not in french
    assert "answer" not in english
    assert "reçues.\n\nVotre lien personnel" in french


def test_acknowledgement_in_english(app):
    with app.test_request_context("/?lang=en"):
        email = render_email(None, "application.acknowledgement", "en",
                             _ack_context(deadline="until March 20, 2026 at 11:59 PM"))
    assert email.subject == "Application received: Chargé·e de mission"
    assert "Thank you for applying for “Chargé·e de mission”." in email.text
    assert "Your reference number: VAC-2026-00042" in email.text
    assert "The offer stays open until March 20, 2026 at 11:59 PM." in email.text
    assert "Whatever the outcome, you will get an answer." in email.text
    assert "https://emplois.example.org/candidature/abc\n" in email.text


def test_notification_lists_the_candidate_message_letter_documents_and_link(app):
    context = {
        "candidate_name": "Léa MARTIN", "candidate_email": "lea.martin@example.com",
        "candidate_phone": "", "reference": "VAC-2026-00042",
        "posting_title": "Chargé·e de mission", "organisation_name": "Villes au carré",
        "message": "Bonjour,\nà bientôt.", "letter_text": "", "documents": "- CV : cv.pdf",
        "backoffice_link": "https://emplois.example.org/gestion/x/candidatures/1",
        "version": "1", "channel": "form",
    }
    with app.test_request_context("/?lang=en"):
        first = render_email(None, "application.notification", "fr", context).text
        second = render_email(None, "application.notification", "fr",
                              {**context, "version": "2", "letter_text": "Madame,\nMonsieur"}).text
    assert first.startswith(
        "Bonjour,\n\nLéa MARTIN a envoyé sa candidature à l’offre "
        f"«{NBSP}Chargé·e de mission{NBSP}».\n\n")
    assert f"Téléphone{NBSP}: non indiqué\n" in first
    assert f"Son message{NBSP}:\nBonjour,\nà bientôt.\n\nDocuments{NBSP}:\n- CV : cv.pdf\n" in first
    assert "lettre" not in first
    assert "https://emplois.example.org/gestion/x/candidatures/1\n" in first
    assert "version" not in first
    assert ("Léa MARTIN a envoyé une nouvelle version de sa candidature à l’offre "
            f"«{NBSP}Chargé·e de mission{NBSP}» (version{NBSP}2).") in second
    assert f"Sa lettre de motivation{NBSP}:\nMadame,\nMonsieur\n" in second


def test_withdrawn_without_a_link(app):
    with app.test_request_context("/?lang=en"):
        email = render_email(None, "application.withdrawn", "en", {
            "candidate_name": "Léa MARTIN", "reference": "R1", "posting_title": "Stage",
            "organisation_name": "Villes au carré", "backoffice_link": ""})
    assert email.subject == "Application withdrawn: Léa MARTIN – Stage"
    assert email.text == (
        "Hello,\n\nLéa MARTIN has withdrawn their application for “Stage” (reference R1).\n\n"
        "There is nothing for you to do: this application no longer needs reviewing.\n")


def test_unknown_locale_falls_back_to_french_and_missing_values_are_empty(app):
    with app.test_request_context("/?lang=en"):
        email = render_email(None, "application.acknowledgement", "de",
                             {"posting_title": "Stage"})
    assert email.subject == f"Candidature bien reçue{NBSP}: Stage"
    assert email.text.startswith("Bonjour  ,\n\n")  # no name given: blanks, not an error


def test_organisation_template_replaces_the_default_in_its_language_only(app):
    with app.app_context():
        org = factories.organisation()
        db.session.add(MessageTemplate(
            organisation_id=org.id, kind="application.acknowledgement", locale="fr",
            subject="Merci {{ candidate_first_name }}",
            body="Bien reçu, {{ candidate_first_name }} ({{ reference }}).\n"))
        db.session.commit()
        french = render_email(org, "application.acknowledgement", "fr", _ack_context())
        english = render_email(org, "application.acknowledgement", "en", _ack_context())
        other = render_email(factories.organisation(), "application.acknowledgement", "fr",
                             _ack_context())
    assert (french.subject, french.text) == ("Merci Léa", "Bien reçu, Léa (VAC-2026-00042).\n")
    assert english.subject == "Application received: Chargé·e de mission"
    assert other.subject == f"Candidature bien reçue{NBSP}: Chargé·e de mission"


def test_broken_organisation_template_never_costs_the_email(app, caplog):
    with app.app_context():
        org = factories.organisation()
        db.session.add(MessageTemplate(
            organisation_id=org.id, kind="application.acknowledgement", locale="fr",
            subject="Merci", body="{{ removed_placeholder }}"))
        db.session.commit()
        email = render_email(org, "application.acknowledgement", "fr", _ack_context())
    assert email.subject == f"Candidature bien reçue{NBSP}: Chargé·e de mission"
    assert "failed" in caplog.text and "using the default" in caplog.text


@pytest.mark.parametrize(("subject", "body", "field", "message"), [
    ("Merci", "Bonjour {{ prenom }}", "body",
     "Unknown placeholder: {{ prenom }}. The placeholders of this email are listed beside "
     "the form."),
    ("Merci {{ name }} {{ x }}", "Bonjour", "subject",
     "Unknown placeholder: {{ name }}, {{ x }}. The placeholders of this email are listed "
     "beside the form."),
    ("Merci", "Ligne 1\n{% if answer_promise %}\npromesse", "body",
     "Line 3: the text ends before a block is closed; every {% if … %} needs its "
     "{% endif %}."),
    ("Merci {% endif %}", "Bonjour", "subject",
     "Line 1: {% endif %} is not an instruction that templates know, or it has no block to "
     "close."),
    ("Merci", "Bonjour {{ reference }", "body", "Template syntax error on line 1: "),
    ("Merci", "{{ reference.__class__.__mro__ }}", "body",
     "Line 1: “.” is not allowed. Templates hold text, placeholders, filters such as default "
     "or upper, and {% if %} blocks."),
    ("Merci", "a\n{{ 'x' * 1000000000 }}", "body",
     "Line 2: “*” is not allowed. Templates hold text, placeholders, filters such as default "
     "or upper, and {% if %} blocks."),
    ("Merci {% for i in range(9) %}{% endfor %}", "b", "subject",
     "Line 1: “{% for %}” is not allowed. Templates hold text, placeholders, filters such as "
     "default or upper, and {% if %} blocks."),
    ("Merci", "{{ reference|center(1000000000) }}", "body",
     "Line 1: “|center” is not allowed. Templates hold text, placeholders, filters such as "
     "default or upper, and {% if %} blocks."),
    ("Merci", "{{ lipsum() }}", "body",
     "Line 1: “()” is not allowed. Templates hold text, placeholders, filters such as default "
     "or upper, and {% if %} blocks."),
    ("Merci", "{% set x = 1 %}", "body",
     "Line 1: “{% set %}” is not allowed. Templates hold text, placeholders, filters such as "
     "default or upper, and {% if %} blocks."),
    ("Merci", "{% if reference > 1 %}x{% endif %}", "body", None),
])
def test_check_template_refuses_what_cannot_render(app, subject, body, field, message):
    with app.test_request_context("/?lang=en"), pytest.raises(TemplateProblem) as problem:
        check_template("application.acknowledgement", "fr", subject, body)
    assert problem.value.field == field
    if message is None:
        assert str(problem.value).startswith("This template cannot be filled in: ")
    elif message.startswith("Template syntax error"):
        assert str(problem.value).startswith(message) and len(str(problem.value)) > len(message)
    else:
        assert str(problem.value) == message


def test_check_template_runs_both_sides_of_conditions(app):
    body = "{% if answer_promise %}ok{% elif reference > 1 %}x{% endif %}"
    with app.test_request_context("/?lang=en"), pytest.raises(TemplateProblem,
                                                   match="cannot be filled in"):
        check_template("application.acknowledgement", "fr", "Merci", body)


def test_text_to_html_escapes_links_and_lists():
    html = text_to_html(
        "Bonjour <b>Léa</b> & co,\nsuite.\n\nDocuments :\n- CV : cv.pdf\n- Lettre\n\n"
        "Lien : https://example.org/candidature/a?b=1&c=2.\nÉcrire à lea@example.com",
        lang="fr", title="Sujet <x>",
    )
    assert "<title>Sujet &lt;x&gt;</title>" in html
    assert ">Bonjour &lt;b&gt;Léa&lt;/b&gt; &amp; co,<br>\nsuite.</p>" in html
    assert ">Documents :</p><ul " in html
    assert "><li>CV : cv.pdf</li><li>Lettre</li></ul>" in html
    assert re.search(r'Lien : <a href="https://example.org/candidature/a\?b=1&amp;c=2" '
                     r'style="[^"]+">https://example.org/candidature/a\?b=1&amp;c=2</a>\.<br>',
                     html)
    assert re.search(r'<a href="mailto:lea@example.com" style="[^"]+">lea@example.com</a>', html)
    assert "<script" not in text_to_html("<script>alert(1)</script>")


def test_french_defaults_follow_french_typography():
    """Non-breaking spaces before : and inside « », narrow ones before ; ! ?, curly apostrophes."""
    for path in (DEFAULTS_DIR / "fr").iterdir():
        text = re.sub(r"{[{%].*?[}%]}", "", path.read_text(encoding="utf-8"))
        text = text.split("\n", 1)[1] + text.split("\n", 1)[0][len("Subject:"):]
        assert "'" not in text, path.name
        assert not re.search(r"[^\u00a0\u202f\n]:", text.replace("https:", "")), path.name
        assert not re.search(r"[^\u202f][;!?]", text), path.name
        assert not re.search(r"«[^\u00a0]|[^\u00a0]»", text), path.name


def test_document_lines(app):
    class Doc:
        def __init__(self, kind, filename, size):
            self.kind, self.filename, self.size = kind, filename, size

    documents = [Doc("cv", "CV Léa.pdf", 182_400), Doc("letter", "Lettre.odt", 1_450_000),
                 Doc("other", "Diplôme.pdf", 300)]
    assert document_lines(documents, "fr") == (
        f"- CV{NBSP}: CV Léa.pdf (182{NBSP}ko)\n"
        f"- Lettre de motivation{NBSP}: Lettre.odt (1,4{NBSP}Mo)\n"
        f"- Autre document{NBSP}: Diplôme.pdf (1{NBSP}ko)")
    assert document_lines(documents, "en") == (
        "- CV: CV Léa.pdf (182 kB)\n- Cover letter: Lettre.odt (1.4 MB)\n"
        "- Other document: Diplôme.pdf (1 kB)")
