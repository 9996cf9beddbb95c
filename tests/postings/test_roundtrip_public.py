"""Every field an admin types in the offer form reaches the public page and the PDF sheet."""

from __future__ import annotations

import html
import re

import pytest
from flask_babel import force_locale

from tests.pdf.helpers import contains, pdf_text
from tests.postings.support import EN, complete_form, make_org
from tracker.db import db
from tracker.postings import display
from tracker.postings.models import Posting

# Free-text fields whose words must be read as typed (Markdown markers aside).
TEXT_FIELDS = (
    "title", "reference", "context", "diploma", "experience", "closure_note", "schedule_note",
    "places", "travel", "remote_note", "pay_note", "benefits", "collective_agreement",
    "other_documents", "subject_line",
)
MARKDOWN_WORDS = (
    "centre de ressources", "Soutenir le fonctionnement", "animer les réunions",
    "Être en veille", "Savoir animer des groupes", "Bonne maîtrise de l'écrit",
)


def page_text(response) -> str:
    body = response.get_data(as_text=True)
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_form_field_shows_on_public_page_and_pdf(app, client, login, lang):
    with app.app_context():
        org = make_org()
        db.session.commit()
    login(org.admin_email)
    form = complete_form(org.lead_id)
    response = client.post(org.url("nouvelle"), data=form, headers=EN)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    posting_id = int(re.search(r"/offres/(\d+)", response.headers["Location"]).group(1))
    response = client.post(org.url(f"{posting_id}/statut"), data={"target": "published"},
                           headers=EN)
    assert response.status_code == 302

    headers = {"Accept-Language": lang}
    with app.app_context():
        posting = db.session.get(Posting, posting_id)
        public_url = f"/offres/{posting.id}-{posting.slug}"
        expected = {}
        # The page speaks the visitor's language; the PDF the organisation's (one cached copy).
        for where, language in (("page", lang), ("pdf", posting.organisation.locale)):
            with force_locale(language):
                expected[where] = [value for _, value in display.summary_rows(posting)]
                expected[where].append(display.deadline_text(posting))
        recipients = [(c.display_name, c.display_email) for c in posting.contacts
                      if c.role in ("to", "cc")]
        hidden = [c.display_email for c in posting.contacts if c.role == "info"]
        values = {name: getattr(posting, name) for name in TEXT_FIELDS}
        source_url = posting.source_url
    assert posting.status == "published"

    page = client.get(public_url, headers=headers)
    assert page.status_code == 200
    sheet = client.get(public_url + ".pdf", headers=headers)
    assert sheet.status_code == 200
    shown = {"page": page_text(page), "pdf": pdf_text(sheet.data)}

    for where, text in shown.items():
        missing = [v for v in expected[where] if not contains(text, v)]
        missing += [f"{k}={v!r}" for k, v in values.items() if not contains(text, v)]
        missing += [w for w in MARKDOWN_WORDS if not contains(text, w)]
        missing += [f"{n} <{e}>" for n, e in recipients
                    if not (contains(text, n) and contains(text, e))]
        if not contains(text, source_url):
            missing.append(source_url)
        assert not missing, f"missing from the {where}: {missing}"
        assert not [e for e in hidden if e in text], f"'info' contact shown on the {where}"
