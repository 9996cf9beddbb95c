"""The whole journey through the real form: apply twice, follow the link, withdraw, erase.

After erasure, nothing the candidate typed or sent is left in any column of any table, however
the submission path stored it (events, acknowledgement, notification, attachments).
"""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from tests.applications.apply_support import form_data, make_offer
from tests.applications.test_privacy_erase import found_values
from tests.files import make_odt, make_pdf
from tracker.applications.models import Application
from tracker.audit.models import Event
from tracker.db import db
from tracker.mail.models import Message

EN = {"Accept-Language": "en"}
FIRST, LAST = "Ombeline", "Kerjean-Saulnier"
EMAIL = "ombeline.kerjean@example.org"
PHONE = "07 65 43 21 09"
MESSAGE = "Message unique 4e7d-zz : je connais bien le quartier"
LETTER = "Lettre tapée 0c2b-zz : douze ans d'éducation populaire"
CV_V1, CV_V2 = make_pdf("Ombeline CV 2e9f"), make_pdf("Ombeline CV mis à jour 6a1c")
LETTER_FILE = make_odt("Ombeline lettre 5b3d")
CV_NAME_V1, CV_NAME_V2 = "CV Ombeline 2e9f.pdf", "CV Ombeline 6a1c.pdf"
LETTER_NAME = "Lettre Ombeline 5b3d.odt"


def _apply(client, offer, cv: bytes, cv_name: str, **extra):
    data = form_data(
        first_name=FIRST, last_name=LAST, email=EMAIL, phone=PHONE, message=MESSAGE,
        letter_text=LETTER, cv=(io.BytesIO(cv), cv_name),
        letter=(io.BytesIO(LETTER_FILE), LETTER_NAME), **extra)
    response = client.post(offer.apply_url, data=data, content_type="multipart/form-data",
                           headers=EN)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]


def test_real_application_is_shown_withdrawn_then_erased_without_trace(app, client):
    offer = make_offer(app)
    _apply(client, offer, CV_V1, CV_NAME_V1)
    _apply(client, offer, CV_V2, CV_NAME_V2)
    with app.app_context():
        application = db.session.scalar(sa.select(Application))
        application_id, posting_id = application.id, application.posting_id
        acknowledgement = db.session.scalar(
            sa.select(Message).where(Message.kind == "application.acknowledgement"))
        links = re.findall(r"https?://[^/\s]+(/candidature/[A-Za-z0-9._-]+)",
                           acknowledgement.body_text)
    assert links, "the acknowledgement carries the private link"
    link = links[0]

    page = client.get(link, headers=EN).get_data(as_text=True)
    for value in (CV_NAME_V1, CV_NAME_V2, LETTER_NAME, "Version 2", "Version 1"):
        assert value in page
    assert client.post(f"{link}/retrait", data={"withdraw-confirm": "y"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id)).where(
            Message.kind == "application.withdrawn")) == 1

    values = [FIRST, LAST, LAST.upper(), EMAIL, PHONE, MESSAGE, LETTER, CV_NAME_V1,
              CV_NAME_V2, LETTER_NAME]
    binaries = [CV_V1, CV_V2, LETTER_FILE]
    before = found_values(app, values, binaries)
    for value in values:
        assert any(hit.endswith(f": {value.lower()}") for hit in before), value

    assert client.post(f"{link}/effacement", data={"erase-confirm": "y"}).status_code == 302
    assert found_values(app, values, binaries) == []
    response = client.get(link, headers=EN)
    assert response.status_code == 410
    with app.app_context():
        erase = db.session.scalar(sa.select(Event).where(Event.action == "application.erase"))
        assert erase.object_id == application_id
        assert erase.data == {"posting_id": posting_id, "by": "candidate"}
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0
