"""The public offer page: every field, canonical URLs, statuses, Markdown safety, preview."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta
from urllib.parse import quote

from flask import render_template

from tests import factories
from tests.board.helpers import LD_JSON, expired, main_html, published
from tracker.db import db, utcnow
from tracker.postings import display
from tracker.postings.models import ContactRole, PostingContact, PostingStatus


def page_text(html: str) -> str:
    """The visible text of <main>, tags removed, entities decoded, spaces collapsed."""
    text = re.sub(r"<script.*?</script>", " ", main_html(html), flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", " ", text)
    text = " ".join(html_lib.unescape(text).split())
    return re.sub(r" ([,.])", r"\1", text)


def squash(text: str) -> str:
    return " ".join(text.split())


def test_detail_short_url_redirects_permanently_to_canonical(app, client):
    with app.app_context():
        posting = published(factories.organisation(), title="Chargé de mission")
        db.session.commit()
        posting_id = posting.id

    response = client.get(f"/offres/{posting_id}")

    assert response.status_code == 301
    assert response.headers["Location"] == f"/offres/{posting_id}-charge-de-mission"


def test_detail_wrong_slug_redirects_permanently_and_keeps_query(app, client):
    with app.app_context():
        posting = published(factories.organisation(), title="Chargé de mission")
        db.session.commit()
        posting_id = posting.id

    response = client.get(f"/offres/{posting_id}-old-title?lang=en")

    assert response.status_code == 301
    assert response.headers["Location"] == f"/offres/{posting_id}-charge-de-mission?lang=en"


def test_detail_unknown_and_draft_are_404(app, en_client):
    with app.app_context():
        draft = factories.posting(factories.organisation())
        db.session.commit()
        draft_url = f"/offres/{draft.id}-{draft.slug}"

    assert en_client.get("/offres/999999-nothing").status_code == 404
    assert en_client.get("/offres/999999").status_code == 404
    response = en_client.get(draft_url)
    assert response.status_code == 404
    assert "This page does not exist" in response.get_data(as_text=True)


def test_detail_archived_is_410_gone(app, en_client):
    with app.app_context():
        posting = factories.posting(factories.organisation(), status=PostingStatus.ARCHIVED)
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    response = en_client.get(url)

    assert response.status_code == 410
    assert "This offer has been withdrawn and is no longer available." in response.get_data(
        as_text=True
    )


def test_detail_open_offer_has_no_closed_notice(app, en_client):
    with app.app_context():
        posting = published(factories.organisation())
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    html = en_client.get(url).get_data(as_text=True)

    assert "This offer is closed" not in html
    assert 'id="apply"' in html


def test_detail_closed_filled_or_expired_offer_shows_closed_notice_without_apply(app, en_client):
    with app.app_context():
        org = factories.organisation()
        urls = {}
        for name, posting in (
            ("closed", factories.posting(org, status=PostingStatus.CLOSED)),
            ("filled", factories.posting(org, status=PostingStatus.FILLED)),
            ("expired", expired(org)),
        ):
            urls[name] = f"/offres/{posting.id}-{posting.slug}"
        subject = posting.subject_line
        db.session.commit()

    for name, url in urls.items():
        response = en_client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert "This offer is closed: applications are no longer accepted." in html, name
        assert 'id="apply"' not in html, name
        assert "Required email subject" not in html, name
        assert ("The position has been filled." in html) == (name == "filled")
    assert subject not in en_client.get(urls["expired"]).get_data(as_text=True)


def test_detail_shows_every_field_of_a_complete_offer(app, en_client, en_request):
    with app.app_context():
        org = factories.organisation(name="Villes au Carré")
        posting = published(
            org,
            title="Chargé·e de mission junior implication citoyenne",
            presentation="Villes au Carré est un **centre de ressources** depuis 2007.",
            other_documents="Un exemple de travail",
        )
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"
        pdf_url = f"/offres/{posting.id}-{posting.slug}.pdf"
        with en_request():
            rows = display.summary_rows(posting)
            deadline = display.deadline_text(posting)
            documents = display.documents_text(posting)
        fields = {
            name: getattr(posting, name)
            for name in (
                "title", "reference", "diploma", "experience", "closure_note", "schedule_note",
                "city", "postal_code", "region", "places", "travel", "remote_note", "benefits",
                "collective_agreement", "subject_line", "source_url",
            )
        }

    response = en_client.get(url)
    html = response.get_data(as_text=True)
    text = page_text(html)

    assert response.status_code == 200
    # Every text field, as written
    for name, value in fields.items():
        assert squash(value) in text, name
    assert "Villes au Carré" in text
    # The summary box: every formatted row
    assert [label for label, _ in rows] == [
        "Contract", "Period", "Start", "Closure periods", "Working time", "Schedule", "Place",
        "Travel", "Remote work", "Pay", "Benefits", "Collective agreement", "Diploma",
        "Experience", "Documents", "Deadline", "Reference",
    ]
    for label, value in rows:
        assert f"{label} {squash(value)}" in text, label
    assert "City 44000 Nantes, Pays de la Loire" in text
    # Sections
    body = main_html(html)
    assert "<strong>centre de ressources</strong> depuis 2007." in body
    assert "Les conseils citoyens ont été mis en place par la loi du 24 février 2014." in text
    assert "<li>Être en veille</li>" in body
    assert "<li>Bonne maîtrise de l'écrit</li>" in html_lib.unescape(body)
    for heading in ("Presentation", "Context", "Missions", "Profile", "How to apply"):
        assert re.search(rf"<h2 id=\"section-[a-z]+\">{heading}</h2>", body), heading
    # How to apply
    assert f"Applications are accepted {squash(deadline)}." in text
    assert f"Documents to send: {documents}." in text
    assert documents == "CV, cover letter, Un exemple de travail"
    assert (
        "Send your application by email to Claire Fontaine, Directrice"
        " – claire.fontaine@example.org"
    ) in text
    assert "With a copy to Inès Moreau – ines.moreau@example.org" in text
    assert '<a href="mailto:claire.fontaine@example.org">claire.fontaine@example.org</a>' in body
    assert '<a href="mailto:ines.moreau@example.org">ines.moreau@example.org</a>' in body
    subject = fields["subject_line"]
    assert (
        '<code class="subject-line" id="subject-line" aria-labelledby="subject-label">'
        f"{subject}</code>"
    ) in body
    assert "Required email subject" in text
    quoted = quote(subject, safe="")
    assert (
        'href="mailto:claire.fontaine@example.org?cc=ines.moreau@example.org&amp;subject='
        f'{quoted}"'
    ) in body
    assert "Every application will get an answer." in text
    assert f'<a href="{fields["source_url"]}" rel="noopener nofollow">' in body
    assert f'href="{pdf_url}"' in body


def test_detail_uses_organisation_presentation_when_offer_has_none(app, en_client):
    with app.app_context():
        org = factories.organisation(presentation="Le **réseau** des centres.")
        posting = published(org, presentation="")
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    body = main_html(en_client.get(url).get_data(as_text=True))

    assert "Le <strong>réseau</strong> des centres." in body


def test_detail_info_contacts_are_not_shown_as_recipients(app, en_client):
    with app.app_context():
        contacts = [
            PostingContact(name="Claire Fontaine", email="claire.fontaine@example.org",
                           role=ContactRole.TO, position=0),
            PostingContact(name="Paul Informé", email="paul.informe@example.org",
                           role=ContactRole.INFO, position=1),
        ]
        posting = published(factories.organisation(), contacts=contacts)
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    html = en_client.get(url).get_data(as_text=True)

    assert "claire.fontaine@example.org" in html
    assert "Paul Informé" not in html
    assert "paul.informe@example.org" not in html
    assert "With a copy to" not in html


def test_detail_contact_without_name_shows_email_once(app, en_client):
    with app.app_context():
        contacts = [PostingContact(email="recrutement@example.net", role=ContactRole.TO)]
        posting = published(factories.organisation(), contacts=contacts)
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    text = page_text(en_client.get(url).get_data(as_text=True))

    assert "Send your application by email to recrutement@example.net Required" in text


def test_detail_without_answer_promise_or_source_url(app, en_client):
    with app.app_context():
        posting = published(factories.organisation(), answer_promise=False, source_url="")
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    html = en_client.get(url).get_data(as_text=True)

    assert "Every application will get an answer." not in html
    assert "Original offer" not in html


def test_detail_refuses_javascript_source_url(app, en_client):
    with app.app_context():
        posting = published(factories.organisation(), source_url="javascript:alert(1)")
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    html = en_client.get(url).get_data(as_text=True)

    assert "javascript:" not in html


def test_detail_markdown_nested_lists_render_nested(app, en_client):
    with app.app_context():
        posting = published(
            factories.organisation(),
            missions="- Soutenir les conseils citoyens\n  - animer les réunions\n"
            "  - relancer les participants\n- Être en veille",
        )
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    body = main_html(en_client.get(url).get_data(as_text=True))
    missions = re.search(
        r'<section class="offer-section offer-missions".*?</section>', body, re.DOTALL
    )

    assert re.sub(r"\s*(<[^>]+>)\s*", r"\1", missions.group(0)).endswith(
        "<ul><li>Soutenir les conseils citoyens<ul><li>animer les réunions</li>"
        "<li>relancer les participants</li></ul></li><li>Être en veille</li></ul></section>"
    )


def test_detail_script_in_markdown_or_title_is_escaped(app, en_client):
    with app.app_context():
        posting = published(
            factories.organisation(),
            title="Chef </script><script>alert(1)</script>",
            missions="<script>alert(2)</script>\n\n- [lien](javascript:alert(3))",
            profile='<img src=x onerror="alert(4)">',
        )
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    html = en_client.get(url).get_data(as_text=True)

    assert "<script>alert" not in html
    assert 'href="javascript' not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    # The only script elements are the page's own: JSON-LD and the copy button.
    assert html.count("<script") == 2
    assert html.count("</script>") == 2


def test_detail_shows_logo_when_organisation_has_one(app, en_client):
    with app.app_context():
        org = factories.organisation(logo=b"\x89PNG\r\n\x1a\nfake", logo_media_type="image/png")
        posting = published(org)
        plain = published(factories.organisation())
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"
        plain_url = f"/offres/{plain.id}-{plain.slug}"
        logo_url = f"/organisations/{org.slug}/logo"

    assert f'src="{logo_url}"' in en_client.get(url).get_data(as_text=True)
    assert 'class="org-logo"' not in en_client.get(plain_url).get_data(as_text=True)


def test_detail_has_canonical_link_and_language_switch(app, en_client):
    with app.app_context():
        posting = published(factories.organisation())
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    html = en_client.get(url).get_data(as_text=True)

    assert f'<link rel="canonical" href="http://tracker.test{url}">' in html
    assert 'hreflang="fr"' in html


def test_detail_preview_shows_banner_and_no_json_ld(app):
    with app.app_context():
        draft = factories.posting(factories.organisation(), title="Brouillon")
        db.session.commit()
        draft_id = draft.id

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        from tracker.postings.models import Posting

        posting = db.session.get(Posting, draft_id)
        html = render_template("board/detail.html", posting=posting, preview=True)

    assert "Preview: this offer is not public yet." in html
    assert not LD_JSON.search(html)
    assert "Brouillon" in html
    assert "This offer is closed" not in html
    assert 'id="apply"' in html
    assert ".pdf" not in html


def test_detail_preview_of_draft_without_deadline_or_contacts_renders(app):
    with app.app_context():
        draft = factories.posting(factories.organisation(), title="Vide", deadline=None,
                                  contacts=[], subject_line="", published_at=None)
        db.session.commit()
        draft_id = draft.id

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        from tracker.postings.models import Posting

        html = render_template(
            "board/detail.html", posting=db.session.get(Posting, draft_id), preview=True
        )

    assert "Preview: this offer is not public yet." in html
    assert "Required email subject" not in html


def test_detail_deadline_passed_minutes_ago_is_closed(app, en_client):
    with app.app_context():
        posting = published(factories.organisation())
        posting.deadline = utcnow() - timedelta(minutes=2)
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    assert "This offer is closed" in en_client.get(url).get_data(as_text=True)
