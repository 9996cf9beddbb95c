"""Every open offer of an organisation in one PDF: a cover page, then one sheet per offer."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale

from tests import factories
from tests.pdf.helpers import contains, page_count, page_texts, pdf_text
from tracker.db import db, utcnow
from tracker.postings.models import PostingStatus


def test_booklet_has_cover_and_one_sheet_per_open_offer(app, client):
    with app.app_context():
        org = factories.organisation(name="RésO Villes", slug="reso-villes")
        first = factories.posting(org, status=PostingStatus.PUBLISHED, title="Chargé·e de mission",
                                  subject_line="Candidature chargé de mission",
                                  deadline=factories.future(10))
        second = factories.posting(org, status=PostingStatus.PUBLISHED, title="Stage participation",
                                   subject_line="Candidature stage participation",
                                   deadline=factories.future(20))
        factories.posting(org, status=PostingStatus.CLOSED, title="Offre close",
                          subject_line="Candidature offre close")
        factories.posting(org, status=PostingStatus.FILLED, title="Offre pourvue",
                          subject_line="Candidature offre pourvue")
        factories.posting(org, status=PostingStatus.DRAFT, title="Brouillon secret",
                          subject_line="Candidature brouillon")
        expired = factories.posting(org, status=PostingStatus.PUBLISHED, title="Offre échue",
                                    subject_line="Candidature offre échue")
        expired.deadline = utcnow() - timedelta(hours=1)
        other = factories.organisation()
        factories.posting(other, status=PostingStatus.PUBLISHED, title="Offre d'ailleurs",
                          subject_line="Candidature ailleurs")
        db.session.commit()
        open_offers = [(first.title, first.subject_line), (second.title, second.subject_line)]

    response = client.get("/organisations/reso-villes/offres.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "inline; filename=reso-villes-offres.pdf"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    data = response.get_data()
    text = pdf_text(data)
    for hidden in ("Offre close", "Offre pourvue", "Brouillon secret", "Offre échue",
                   "Offre d'ailleurs"):
        assert not contains(text, hidden), hidden
    pages = page_texts(data)
    assert contains(pages[0], "RésO Villes")
    # The cover lists the open offers (soonest deadline first) but not their subject lines.
    assert pages[0].index("Chargé·e de mission") < pages[0].index("Stage participation")
    assert not any(contains(pages[0], subject) for _, subject in open_offers)
    # Each offer starts on a new page, headed by the organisation, with its own subject line.
    starts = []
    for title, subject in open_offers:
        page = next(i for i, p in enumerate(pages) if i > 0 and contains(p, title))
        assert pages[page].startswith("RésO Villes"), pages[page][:80]
        assert any(contains(p, subject) for p in pages[page:])
        starts.append(page)
    assert starts[0] < starts[1]
    assert page_count(data) >= 3


def test_booklet_without_open_offer_is_one_page_saying_so(app, client):
    with app.app_context():
        org = factories.organisation(name="Villes au Carré", slug="villes-au-carre")
        factories.posting(org, status=PostingStatus.CLOSED, title="Offre close")
        db.session.commit()
    with app.test_request_context(), force_locale("fr"):
        from flask_babel import gettext as _

        message = _("%(organisation)s has no open offer at the moment.",
                    organisation="Villes au Carré")

    response = client.get("/organisations/villes-au-carre/offres.pdf")

    assert response.status_code == 200
    data = response.get_data()
    assert page_count(data) == 1
    text = pdf_text(data)
    assert contains(text, message)
    assert contains(text, "http://tracker.test/organisations/villes-au-carre")
    assert not contains(text, "Offre close")


def test_booklet_unknown_organisation_is_404(app, client):
    assert client.get("/organisations/inconnue/offres.pdf").status_code == 404


def test_booklet_prints_at_most_the_configured_number_of_offers(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "BOOKLET_MAX_OFFERS", 2)
    with app.app_context():
        org = factories.organisation(name="RésO Villes", slug="reso-villes")
        # Created in another order than their deadlines: the soonest two are printed.
        for title, days in (("Offre J+40", 40), ("Offre J+10", 10), ("Offre J+30", 30),
                            ("Offre J+20", 20)):
            factories.posting(org, status=PostingStatus.PUBLISHED, title=title,
                              subject_line=f"Candidature {title}",
                              deadline=factories.future(days))
        db.session.commit()
    with app.test_request_context(), force_locale("fr"):
        from flask_babel import ngettext

        more = ngettext("%(num)d more open offer is not printed in this booklet: see %(url)s",
                        "%(num)d more open offers are not printed in this booklet: see %(url)s",
                        2, url="http://tracker.test/organisations/reso-villes")

    response = client.get("/organisations/reso-villes/offres.pdf")

    assert response.status_code == 200
    data = response.get_data()
    text = pdf_text(data)
    assert contains(text, "Offre J+10")
    assert contains(text, "Offre J+20")
    assert not contains(text, "Offre J+30")
    assert not contains(text, "Offre J+40")
    cover = page_texts(data)[0]
    assert contains(cover, more)
    assert cover.index("Offre J+10") < cover.index("Offre J+20")


def test_booklet_at_the_cap_says_nothing_more(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "BOOKLET_MAX_OFFERS", 2)
    with app.app_context():
        org = factories.organisation(slug="reso-villes")
        for days in (10, 20):
            factories.posting(org, status=PostingStatus.PUBLISHED, deadline=factories.future(days))
        db.session.commit()
        with app.test_request_context():
            from tracker.pdf.services import booklet_postings

            postings, more = booklet_postings(org, utcnow())
            shown = len(postings)
    with app.test_request_context(), force_locale("fr"):
        from flask_babel import ngettext

        message = ngettext("%(num)d more open offer is not printed in this booklet: see %(url)s",
                           "%(num)d more open offers are not printed in this booklet: see %(url)s",
                           7, url="URL")
    # The words of the message, whatever the number and the address.
    words = max(message.replace("7", "|").replace("URL", "|").split("|"), key=len).strip()

    text = pdf_text(client.get("/organisations/reso-villes/offres.pdf").get_data())

    assert (shown, more) == (2, 0)
    assert len(words) > 20
    assert not contains(text, words)
