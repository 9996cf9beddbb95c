"""French first, English on request: the catalogue is complete and the pages speak it.

The catalogue checks read tracker/translations/fr/LC_MESSAGES/messages.po; run
``make update-messages`` then translate, then ``make translations`` to compile the .mo.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests import factories
from tracker.db import db
from tracker.i18n.formatting import format_clock, format_day, format_money, local_time
from tracker.postings.models import PostingStatus

TRANSLATIONS = Path(__file__).resolve().parents[2] / "tracker" / "translations"
FR_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
FR_MO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")
EN = {"Accept-Language": "en"}
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def fr_catalog():
    with FR_PO.open("rb") as f:
        return read_po(f, locale="fr")


def _entries(catalog):
    return [m for m in catalog if m.id]


def _strings(message) -> tuple[str, ...]:
    return tuple(message.string) if message.pluralizable else (message.string,)


def _ids(message) -> tuple[str, ...]:
    return tuple(message.id) if message.pluralizable else (message.id,)


# --- The catalogue ---------------------------------------------------------------------------


def test_fr_catalog_every_entry_translated(fr_catalog):
    untranslated = [_ids(m)[0] for m in _entries(fr_catalog) if not all(_strings(m))]
    assert untranslated == [], f"{len(untranslated)} untranslated French entries: {untranslated}"


def test_fr_catalog_no_fuzzy_entry(fr_catalog):
    fuzzy = [_ids(m)[0] for m in _entries(fr_catalog) if m.fuzzy]
    assert fuzzy == [], f"fuzzy French entries (check, then remove the flag): {fuzzy}"
    assert not fr_catalog.fuzzy, "the catalogue header is marked fuzzy"


def test_fr_catalog_placeholders_match_msgid(fr_catalog):
    wrong = []
    for message in _entries(fr_catalog):
        expected = set().union(*(PLACEHOLDER.findall(text) for text in _ids(message)))
        for text in _strings(message):
            if text and set(PLACEHOLDER.findall(text)) != expected:
                wrong.append((_ids(message)[0], text))
    assert wrong == [], f"placeholders differ from the msgid: {wrong}"


def test_fr_catalog_plural_entries_have_two_forms(fr_catalog):
    wrong = [m.id[0] for m in _entries(fr_catalog) if m.pluralizable and len(m.string) != 2]
    assert wrong == []


def test_fr_mo_compiled_after_po():
    assert FR_MO.exists(), "run `make translations`"
    assert FR_MO.stat().st_mtime >= FR_PO.stat().st_mtime, "the .mo is older than the .po: " \
        "run `make translations`"


# --- Choosing the language -------------------------------------------------------------------


def test_board_default_language_is_french(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Offres d’emploi" in html
    assert "Job offers" not in html


def test_board_accept_language_en_is_english(client):
    html = client.get("/", headers=EN).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Job offers" in html
    assert "Offres d’emploi" not in html


def test_board_lang_parameter_switches_and_sticks(client):
    assert "Job offers" in client.get("/?lang=en").get_data(as_text=True)
    # No parameter, no header: the session remembers the choice.
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Job offers" in html
    # And back to French through the switch link's route.
    response = client.get("/langue/fr?next=/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Offres d’emploi" in client.get("/").get_data(as_text=True)


def test_board_header_has_language_switch(client):
    html = client.get("/").get_data(as_text=True)
    switch = r'<a href="/langue/{code}\?next=/[^"]*"\s+lang="{code}" hreflang="{code}">{name}</a>'
    assert re.search(switch.format(code="en", name="English"), html)
    html = client.get("/", headers=EN).get_data(as_text=True)
    assert re.search(switch.format(code="fr", name="Français"), html)


def test_set_language_unknown_code_ignored(client):
    response = client.get("/langue/de")
    assert response.status_code == 302
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)


# --- Pages in each language -----------------------------------------------------------------


@pytest.fixture
def offer_path(app):
    """A published offer whose deadline is 19 March 2030, 23:59 in Paris."""
    deadline = datetime(2030, 3, 19, 22, 59, tzinfo=UTC)
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, deadline=deadline)
        db.session.commit()
        path = f"/offres/{posting.id}-{posting.slug}"
    local = local_time(deadline, "Europe/Paris")
    return path, local


def test_detail_deadline_in_french(client, offer_path):
    path, local = offer_path
    html = client.get(path).get_data(as_text=True)
    expected = f"jusqu’au {format_day(local, 'fr')} à {local.hour}{NBSP}h{NBSP}{local.minute:02d}"
    assert expected == f"jusqu’au 19{NBSP}mars 2030 à 23{NBSP}h{NBSP}59"
    assert expected in html
    assert "until" not in html


def test_detail_deadline_in_english(client, offer_path):
    path, local = offer_path
    html = client.get(path, headers=EN).get_data(as_text=True)
    expected = f"until {format_day(local, 'en')} at {format_clock(local, 'en')}"
    assert expected.startswith("until March 19, 2030 at 11:59")
    assert expected in html
    assert "jusqu’au" not in html


def test_login_errors_in_french_by_default(client):
    html = client.post("/connexion", data={}).get_data(as_text=True)
    assert "Saisissez votre adresse mail." in html
    assert "Saisissez votre mot de passe." in html
    assert "Veuillez corriger les champs signalés ci-dessous." in html
    assert "Enter your email address." not in html


def test_login_errors_in_english_on_request(client):
    html = client.post("/connexion", data={}, headers=EN).get_data(as_text=True)
    assert "Enter your email address." in html
    assert "Enter your password." in html


# --- Formatting ------------------------------------------------------------------------------


def test_format_money_french_and_english():
    assert format_money(2900, "fr") == "2\u202f900\u00a0€"
    assert format_money(2900, "en") == "€2,900"


def test_format_day_french():
    text = format_day(date(2020, 3, 20), "fr")
    assert "20" in text and "mars" in text and "2020" in text
    assert text == f"20{NBSP}mars 2020"
