"""The application page: header, masking, neighbours and shortcuts, timeline, lead scoping."""

from __future__ import annotations

import re

from tests import factories
from tests.review.dashboard_support import (
    EN,
    add,
    html_of,
    make_office,
    review,
    stage_id,
    update,
)
from tracker.accounts.models import Role
from tracker.applications.models import Application
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.postings.models import Posting, PostingStatus

SECRETS = ("Léa", "Martin", "MARTIN", "lea.martin@example.com", "06 12 34 56 78",
           "0612345678")


def masked_application(app, office, **fields) -> int:
    return add(app, office, first_name="Léa", last_name="Martin",
               email="lea.martin@example.com", phone="06 12 34 56 78",
               message="Bonjour, je suis Léa Martin, joignable au 06.12.34.56.78.",
               letter_text="Madame,\nJe postule.\nLéa MARTIN – lea.martin@example.com",
               documents=[("cv", "CV Léa Martin.pdf", "application/pdf",
                           factories.MINIMAL_PDF)], **fields)


def test_header_shows_label_stage_reference_received_channel(app, client, login):
    office = make_office(app)
    application_id = add(app, office, first_name="Léa", last_name="Martin", channel="email")
    with app.app_context():
        application = db.session.get(Application, application_id)
        reference, stage = application.reference, application.stage.name
    login(office.lead)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    assert "<h1>Léa MARTIN</h1>" in html
    assert f'<span class="badge stage-badge stage-kind-open">{stage}</span>' in html
    assert f"Reference {reference}" in html and "Received " in html
    assert "<span>Email</span>" in html


def test_masked_application_page_shows_no_identity_until_revealed(app, client, login):
    office = make_office(app, anonymised=True)
    application_id = masked_application(app, office)
    with app.app_context():
        reference = db.session.get(Application, application_id).reference
        interview = db.session.get(Posting, office.posting_id)
    for email in (office.lead, office.admin):
        login(email)
        html = html_of(client.get(office.page_url(application_id), headers=EN))
        for secret in SECRETS:
            assert secret not in html, (email, secret)
        assert f"<h1>Candidate {reference}</h1>" in html
        assert "Anonymised screening: identity hidden until the stage “" in html
        assert "Shown as sent: this document may reveal the candidate's identity." in html
        assert "Bonjour, je suis […] […], joignable au " in html
        assert "34.56.78" not in html
        assert "[…] […] – […]" in html
        assert f"cv-{reference}.pdf" in html
        client.post("/deconnexion")
    assert interview is not None
    update(app, application_id, revealed_at=utcnow())
    login(office.lead)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    assert "<h1>Léa MARTIN</h1>" in html
    assert 'href="mailto:lea.martin@example.com"' in html
    assert "06 12 34 56 78" in html
    assert "Anonymised screening" not in html and "may reveal" not in html
    assert "CV Léa Martin.pdf" in html


def test_masked_page_names_the_offers_reveal_stage(app, client, login):
    office = make_office(app, anonymised=True)
    shortlisted = stage_id(app, office, "shortlisted")
    with app.app_context():
        posting = db.session.get(Posting, office.posting_id)
        posting.reveal_stage_id = shortlisted
        from tracker.review.models import Stage

        name = db.session.get(Stage, shortlisted).name
        db.session.commit()
    application_id = masked_application(app, office)
    login(office.lead)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    assert f"Anonymised screening: identity hidden until the stage “{name}”." in html


def test_neighbours_follow_the_list_order_and_filters(app, client, login):
    office = make_office(app)
    oldest = add(app, office, first_name="Agathe", last_name="Blanc", minutes_ago=30)
    middle = add(app, office, first_name="Bruno", last_name="Carré", minutes_ago=20,
                 channel="email")
    newest = add(app, office, first_name="Chloé", last_name="Dubois", minutes_ago=10)
    login(office.lead)
    html = html_of(client.get(office.page_url(middle), headers=EN))
    # Newest first: the previous one is the newer application.
    assert f'href="{office.page_url(newest)}" rel="prev" data-shortcut="previous"' in html
    assert f'href="{office.page_url(oldest)}" rel="next" data-shortcut="next"' in html
    assert "2 of 3" in html
    # In the list sorted oldest first, the order turns round, and the links keep the sort.
    html = html_of(client.get(office.page_url(middle) + "?ordre=asc", headers=EN))
    assert f'href="{office.page_url(oldest)}?ordre=asc" rel="prev"' in html
    assert f'href="{office.page_url(newest)}?ordre=asc" rel="next"' in html
    assert f'href="{office.list_url}?ordre=asc" data-shortcut="list"' in html
    # Filtered on the e-mail channel, it stands alone.
    html = html_of(client.get(office.page_url(middle) + "?canal=email", headers=EN))
    assert "1 of 1" in html and 'rel="next"' not in html and 'rel="prev"' not in html
    # The list links to the page with its parameters.
    listing = html_of(client.get(office.list_url + "?canal=email&tri=name", headers=EN))
    assert f'href="{office.page_url(middle)}?canal=email&amp;tri=name"' in listing
    # A page opened with filters that exclude it falls back to the whole list.
    html = html_of(client.get(office.page_url(oldest) + "?canal=email", headers=EN))
    assert f'href="{office.page_url(middle)}?canal=email" rel="prev"' in html


def test_next_to_review_skips_what_i_reviewed(app, client, login):
    office = make_office(app)
    a = add(app, office, minutes_ago=40)
    b = add(app, office, minutes_ago=30)
    c = add(app, office, minutes_ago=20)
    d = add(app, office, minutes_ago=10)
    # List order (newest first): d, c, b, a. I reviewed c; b is withdrawn.
    review(app, c, office.lead_id)
    update(app, b, withdrawn_at=utcnow(), stage_id=stage_id(app, office, "withdrawn"))
    login(office.lead)
    html = html_of(client.get(office.page_url(d), headers=EN))
    assert f'href="{office.page_url(a)}" data-shortcut="next-to-review"' in html
    html = html_of(client.get(office.page_url(a), headers=EN))
    # Going round the list: after a (the last), d is next to review.
    assert f'href="{office.page_url(d)}" data-shortcut="next-to-review"' in html
    review(app, a, office.lead_id)
    review(app, d, office.lead_id)
    html = html_of(client.get(office.page_url(d), headers=EN))
    assert "Nothing left to review" in html
    assert 'data-shortcut="next-to-review"' not in html


def test_keyboard_shortcuts_are_offered(app, client, login):
    office = make_office(app)
    application_id = add(app, office)
    login(office.lead)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    assert '<script src="/static/js/applications.js" defer></script>' in html
    assert '<dialog id="shortcuts-help"' in html
    for key in ("j", "k", "r", "?"):
        assert f"<kbd>{key}</kbd>" in html
    assert 'data-shortcuts-help' in html
    assert '<div id="review" class="review-anchor"' in html
    script = client.get("/static/js/applications.js")
    assert script.status_code == 200
    text = script.get_data(as_text=True)
    script.close()
    # Shortcuts stay quiet while typing in a field.
    assert 'tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT"' in text


def test_review_partials_come_in_order(app, client, login):
    office = make_office(app)
    application_id = add(app, office)
    login(office.admin)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    main, aside = html.split('<aside class="application-aside">')
    assert main.index('id="sent-title"') < main.index('id="review"')
    assert aside.index('id="history-title"') < aside.index('id="erase-title"')


def test_timeline_labels_each_event(app, client, login):
    office = make_office(app)
    application_id = add(app, office)
    with app.app_context():
        for action, data in (
            ("application.submit", {"version": 1}),
            ("application.stage", {"from_stage": "Reçue", "to_stage": "Non retenue",
                                   "reason": "profile"}),
            ("application.reveal", {"stage": "Entretien"}),
            ("application.review", {}),
            ("message.draft", {"kind": "answer.not_retained"}),
            ("something.new", {"odd": ["data"]}),
        ):
            record_event(organisation_id=office.org_id, actor=None, action=action,
                         object_type="application", object_id=application_id, **data)
        db.session.commit()
    login(office.lead)
    html = html_of(client.get(office.page_url(application_id), headers=EN))
    history = html[html.index('id="history-title"'):]
    for label in ("Application received", "Stage changed", "Reçue → Non retenue "
                  "(Profile does not match the position)", "Identity revealed",
                  "on entering “Entretien”", "Review given", "Email drafted",
                  "something.new"):
        assert label in history, label
    labels = re.findall(r"<strong>([^<]*)</strong>", history)
    assert labels[0] == "something.new" and labels[-1] == "Application received"


def test_other_organisation_and_other_offer_are_404(app, client, login):
    office = make_office(app)
    application_id = add(app, office)
    with app.app_context():
        from tracker.accounts.models import Organisation

        org = db.session.get(Organisation, office.org_id)
        other_posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        outsider_org = factories.organisation()
        outsider = factories.user(outsider_org, Role.ADMIN)
        foreign = factories.application(other_posting)
        db.session.commit()
        foreign_id, outsider_email, outsider_slug = foreign.id, outsider.email, outsider_org.slug
    login(office.lead)  # reviews the first offer only
    assert client.get(office.page_url(foreign_id)).status_code == 404
    assert client.get(office.page_url(application_id)).status_code == 200
    client.post("/deconnexion")
    login(outsider_email)
    assert client.get(f"/gestion/{outsider_slug}/candidatures/{application_id}").status_code \
        == 404


def test_junk_query_string_on_the_page_is_ignored(app, client, login):
    office = make_office(app)
    application_id = add(app, office)
    login(office.lead)
    response = client.get(office.page_url(application_id), query_string={
        "tri": "<x>", "ordre": "\x00", "etape": "9" * 30, "note_min": "nan", "q": "x" * 9000,
        "vue": "a-evaluer"}, headers=EN)
    assert response.status_code == 200
