"""The offer dashboard: counts, filters, sorts, search, anonymity, junk, query count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.review.dashboard_support import (
    EN,
    add,
    bulk_applications,
    html_of,
    listed,
    make_office,
    review,
    stage_id,
    update,
)
from tracker.db import utcnow


def count_of(html: str, css_class_or_label: str) -> int:
    match = re.search(re.escape(css_class_or_label) + r'[^<]*<span class="count">(\d+)</span>',
                      html)
    assert match, css_class_or_label
    return int(match.group(1))


def test_counts_per_stage_to_review_and_unanswered(app, client, login):
    office = make_office(app)
    fresh = add(app, office, first_name="Agathe", last_name="Blanc")
    mine = add(app, office, first_name="Bruno", last_name="Carré")
    shortlisted = add(app, office, first_name="Chloé", last_name="Dubois")
    withdrawn = add(app, office, first_name="Driss", last_name="Emond")
    answered = add(app, office, first_name="Emma", last_name="Faure")
    update(app, shortlisted, stage_id=stage_id(app, office, "shortlisted"))
    update(app, withdrawn, stage_id=stage_id(app, office, "withdrawn"), withdrawn_at=utcnow())
    update(app, answered, stage_id=stage_id(app, office, "rejected"), decision="not_retained",
           decision_reason="profile", decided_at=utcnow(), answered_at=utcnow())
    review(app, mine, office.lead_id)
    login(office.lead)
    html = html_of(client.get(office.list_url, headers=EN))
    assert "5 applications · 1 withdrawn" in html
    assert count_of(html, "All") == 5
    for key, expected in (("received", 2), ("shortlisted", 1), ("interview", 0),
                          ("rejected", 1), ("withdrawn", 1), ("hired", 0)):
        assert count_of(html, f'etape={stage_id(app, office, key)}">') == expected, key
    # Mine to review: not reviewed by me, not withdrawn, in an open stage.
    assert count_of(html, 'class="task-to-review">\n      To review by me') == 2
    # No answer: answered_at empty, not withdrawn.
    assert count_of(html, 'class="task-unanswered">\n      Without an answer') == 3
    assert fresh and shortlisted
    todo = html_of(client.get(office.list_url + "?vue=a-evaluer", headers=EN))
    assert sorted(listed(todo)) == ["Agathe BLANC", "Chloé DUBOIS"]
    unanswered = html_of(client.get(office.list_url + "?vue=sans-reponse", headers=EN))
    assert sorted(listed(unanswered)) == ["Agathe BLANC", "Bruno CARRÉ", "Chloé DUBOIS"]
    # The admin has reviewed nothing: everything open is theirs to review.
    client.post("/deconnexion")
    login(office.admin)
    html = html_of(client.get(office.list_url, headers=EN))
    assert count_of(html, 'class="task-to-review">\n      To review by me') == 3


def test_list_columns_stage_score_my_review_answered(app, client, login):
    office = make_office(app)
    scored = add(app, office, first_name="Agathe", last_name="Blanc", minutes_ago=5)
    plain = add(app, office, first_name="Bruno", last_name="Carré")
    review(app, scored, office.lead_id, score="3.75")
    update(app, plain, answered_at=utcnow())
    login(office.lead)
    html = html_of(client.get(office.list_url, headers=EN))
    rows = html.split('<td class="cell-candidate">')[1:]
    bruno, agathe = rows
    assert "Bruno CARRÉ" in bruno and "Agathe BLANC" in agathe
    assert '<span class="badge stage-badge stage-kind-open">' in agathe
    assert "<strong>3.8</strong>" in agathe and "1 review<" in agathe
    assert "✓ Done" in agathe and "To do" in bruno
    assert "0 reviews" in bruno and "—" in bruno
    assert "Yes, " in bruno and "Not yet" in agathe
    french = html_of(client.get(office.list_url, headers={"Accept-Language": "fr"}))
    assert "<strong>3,8</strong>" in french


def test_list_is_wrapped_in_the_bulk_form_with_a_checkbox_per_row(app, client, login):
    office = make_office(app)
    ids = [add(app, office, minutes_ago=i) for i in range(3)]
    login(office.lead)
    html = html_of(client.get(office.list_url, headers=EN))
    if "pipeline.bulk_move" not in app.view_functions:
        pytest.skip("the bulk move is not registered yet")
    form = html[html.index('<form id="bulk-form"'):]
    form = form[:form.index("</form>")]
    with app.test_request_context():
        from flask import url_for

        action = url_for("pipeline.bulk_move", org_slug=office.org_slug,
                         posting_id=office.posting_id)
    assert f'method="post" action="{action}"' in form
    assert 'name="csrf_token"' in form
    assert 'data-select-all="application_ids"' in form
    for application_id in ids:
        assert f'name="application_ids" value="{application_id}"' in form


def test_filters_stage_channel_and_my_review(app, client, login):
    office = make_office(app)
    a = add(app, office, first_name="Agathe", last_name="Blanc", channel="email")
    b = add(app, office, first_name="Bruno", last_name="Carré")
    c = add(app, office, first_name="Chloé", last_name="Dubois", channel="manual")
    update(app, b, stage_id=stage_id(app, office, "shortlisted"))
    review(app, a, office.lead_id)
    assert c
    login(office.lead)

    def names(query: str) -> list[str]:
        return sorted(listed(html_of(client.get(office.list_url + query, headers=EN))))

    shortlisted = stage_id(app, office, "shortlisted")
    assert names(f"?etape={shortlisted}") == ["Bruno CARRÉ"]
    assert names("?canal=email") == ["Agathe BLANC"]
    assert names("?canal=manual") == ["Chloé DUBOIS"]
    assert names("?avis=fait") == ["Agathe BLANC"]
    assert names("?avis=a-faire") == ["Bruno CARRÉ", "Chloé DUBOIS"]
    assert names(f"?avis=a-faire&etape={shortlisted}") == ["Bruno CARRÉ"]
    assert names("?canal=form&avis=fait") == []
    html = html_of(client.get(office.list_url + "?canal=form&avis=fait", headers=EN))
    assert "No application matches these filters." in html


def test_filter_by_score_range(app, client, login):
    office = make_office(app, reviews_hidden_until_own=False)  # scores by others shown
    low = add(app, office, first_name="Agathe", last_name="Blanc")
    mid = add(app, office, first_name="Bruno", last_name="Carré")
    high = add(app, office, first_name="Chloé", last_name="Dubois")
    add(app, office, first_name="Driss", last_name="Emond")  # no score
    review(app, low, office.admin_id, score="1.5")
    review(app, mid, office.admin_id, score="3.0")
    review(app, high, office.admin_id, score="4.6")
    login(office.lead)

    def names(query: str) -> list[str]:
        return sorted(listed(html_of(client.get(office.list_url + query, headers=EN))))

    assert names("?note_min=3") == ["Bruno CARRÉ", "Chloé DUBOIS"]
    assert names("?note_max=3") == ["Agathe BLANC", "Bruno CARRÉ"]
    assert names("?note_min=2&note_max=4") == ["Bruno CARRÉ"]
    assert names("?note_min=4,5") == ["Chloé DUBOIS"]
    # Swapped bounds are read the right way round; out-of-range bounds are ignored.
    assert names("?note_min=4&note_max=2") == ["Bruno CARRÉ"]
    assert len(names("?note_min=9")) == 4
    assert len(names("?note_min=0")) == 4


def test_sort_by_date_score_and_name(app, client, login):
    office = make_office(app, reviews_hidden_until_own=False)  # scores by others shown
    b = add(app, office, first_name="Bruno", last_name="Carré", minutes_ago=30)
    a = add(app, office, first_name="agathe", last_name="Ébert", minutes_ago=20)
    c = add(app, office, first_name="Chloé", last_name="Dubois", minutes_ago=10)
    review(app, b, office.admin_id, score="2.0")
    review(app, c, office.admin_id, score="4.0")
    assert a
    login(office.lead)

    def order(query: str = "") -> list[str]:
        return listed(html_of(client.get(office.list_url + query, headers=EN)))

    assert order() == ["Chloé DUBOIS", "agathe ÉBERT", "Bruno CARRÉ"]
    assert order("?ordre=asc") == ["Bruno CARRÉ", "agathe ÉBERT", "Chloé DUBOIS"]
    # Best first; unscored last whatever the direction.
    assert order("?tri=score") == ["Chloé DUBOIS", "Bruno CARRÉ", "agathe ÉBERT"]
    assert order("?tri=score&ordre=asc") == ["Bruno CARRÉ", "Chloé DUBOIS", "agathe ÉBERT"]
    # By last name, accents and case ignored: Carré, Dubois, Ébert.
    assert order("?tri=name") == ["Bruno CARRÉ", "Chloé DUBOIS", "agathe ÉBERT"]
    assert order("?tri=name&ordre=desc") == ["agathe ÉBERT", "Chloé DUBOIS", "Bruno CARRÉ"]
    # The column heads are sort links that keep the filters.
    html = html_of(client.get(office.list_url + "?canal=form&tri=score", headers=EN))
    assert 'aria-sort="descending"' in html
    assert "canal=form&amp;tri=score&amp;ordre=asc" in html


@pytest.mark.parametrize(("query", "expected"), [
    ("lea", ["Léa MARTIN"]),
    ("LÉA", ["Léa MARTIN"]),
    ("martin lea", ["Léa MARTIN"]),
    ("oeuvre", ["Zoé ŒUVRE"]),
    ("bruno.carre@", ["Bruno CARRÉ"]),
    ("T0", ["Bruno CARRÉ", "Léa MARTIN", "Zoé ŒUVRE"]),
    ("nobody", []),
    ("100%_", []),
])
def test_search_ignores_case_and_accents(app, client, login, query, expected):
    office = make_office(app)
    add(app, office, first_name="Léa", last_name="Martin", email="lea.m@example.org")
    add(app, office, first_name="Bruno", last_name="Carré", email="bruno.carre@example.org")
    add(app, office, first_name="Zoé", last_name="Œuvre", email="z@example.org")
    login(office.lead)
    html = html_of(client.get(office.list_url, query_string={"q": query}, headers=EN))
    assert sorted(listed(html)) == expected


def test_search_by_reference(app, client, login):
    office = make_office(app)
    add(app, office, first_name="Léa", last_name="Martin")
    other = add(app, office, first_name="Bruno", last_name="Carré")
    from tracker.applications.models import Application
    from tracker.db import db

    with app.app_context():
        reference = db.session.get(Application, other).reference
    login(office.lead)
    html = html_of(client.get(office.list_url, query_string={"q": reference.lower()},
                              headers=EN))
    assert listed(html) == ["Bruno CARRÉ"]


@pytest.mark.parametrize("value", [
    "x" * 5000, "<script>alert(1)</script>", "a\x00b\x1b", "-1", "99999999999999999999",
    "1e400", "NaN", "inf", "", "é", "%", "1;DROP TABLE application",
])
def test_junk_query_strings_are_ignored(app, client, login, value):
    office = make_office(app)
    add(app, office, first_name="Léa", last_name="Martin")
    login(office.lead)
    query = {name: value for name in ("q", "etape", "canal", "avis", "note_min", "note_max",
                                      "vue", "tri", "ordre", "page")}
    response = client.get(office.list_url, query_string=query, headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    # Without the search (which looks for the text as typed), junk filters filter nothing.
    del query["q"], query["page"]  # a huge page number is a page past the end
    html = html_of(client.get(office.list_url, query_string=query, headers=EN))
    assert listed(html) == ["Léa MARTIN"]


def test_masked_applications_never_show_identity_in_the_list(app, client, login):
    office = make_office(app, anonymised=True)
    masked = add(app, office, first_name="Léa", last_name="Martin",
                 email="lea.martin@example.com", phone="06 12 34 56 78")
    add(app, office, first_name="Bruno", last_name="Carré", email="bruno@example.com",
        phone="07 98 76 54 32")
    from tracker.applications.models import Application
    from tracker.db import db

    with app.app_context():
        reference = db.session.get(Application, masked).reference
    login(office.lead)
    for query in ("", "?tri=name", "?tri=name&ordre=desc", "?q=martin", "?q=lea"):
        html = html_of(client.get(office.list_url + query, headers=EN))
        for secret in ("Martin", "MARTIN", "Léa", "lea.martin", "06 12 34 56 78", "Bruno",
                       "CARRÉ", "bruno@example.com", "07 98"):
            assert secret not in html, (query, secret)
    # Searching by name finds nothing while masked (it would tell who is who); the
    # reference works.
    assert listed(html_of(client.get(office.list_url + "?q=martin", headers=EN))) == []
    html = html_of(client.get(office.list_url, query_string={"q": reference}, headers=EN))
    assert listed(html) == [f"Candidate {reference}"]
    # Revealed: the name is back, and searchable.
    update(app, masked, revealed_at=utcnow())
    html = html_of(client.get(office.list_url + "?q=martin", headers=EN))
    assert listed(html) == ["Léa MARTIN"]
    assert "lea.martin@example.com" in html


def test_sorting_by_name_while_masked_sorts_by_reference(app, client, login):
    office = make_office(app, anonymised=True)
    # Created in this order, so their references grow: T..a < T..b < T..c.
    first = add(app, office, first_name="Zoé", last_name="Zola")
    second = add(app, office, first_name="Agathe", last_name="Abel")
    third = add(app, office, first_name="Marc", last_name="Moreau")
    update(app, third, revealed_at=utcnow())
    from tracker.applications.models import Application
    from tracker.db import db

    with app.app_context():
        refs = {i: db.session.get(Application, i).reference for i in (first, second)}
    login(office.lead)
    html = html_of(client.get(office.list_url + "?tri=name", headers=EN))
    # Revealed ones by name first, then the masked ones by reference, not by their names.
    assert listed(html) == ["Marc MOREAU", f"Candidate {refs[first]}",
                            f"Candidate {refs[second]}"]


def test_pagination_keeps_the_filters(app, client, login, monkeypatch):
    office = make_office(app)
    for i in range(5):
        add(app, office, minutes_ago=i, channel="email")
    add(app, office, channel="form")
    monkeypatch.setitem(app.config, "ADMIN_PAGE_SIZE", 2)
    login(office.lead)
    html = html_of(client.get(office.list_url + "?canal=email", headers=EN))
    assert "Page 1 of 3" in html
    assert "canal=email" in html[html.index('rel="next"') - 200:html.index('rel="next"')]
    last = html_of(client.get(office.list_url + "?canal=email&page=3", headers=EN))
    assert len(listed(last)) == 1


@pytest.mark.parametrize("many", [1000])
def test_query_count_is_the_same_for_3_and_1000_applications(app, client, login, queries,
                                                             many):
    small, large = make_office(app), make_office(app)
    bulk_applications(app, small, 3)
    bulk_applications(app, large, many)
    counts = {}
    for name, office in (("small", small), ("large", large)):
        login(office.lead)
        for query in ("", "?tri=score&avis=a-faire&q=lea", "?vue=a-evaluer&tri=name"):
            with queries() as n:
                html = html_of(client.get(office.list_url + query, headers=EN))
            counts[(name, query)] = n()
            assert listed(html)
        client.post("/deconnexion")
    for query in ("", "?tri=score&avis=a-faire&q=lea", "?vue=a-evaluer&tri=name"):
        assert counts[("small", query)] == counts[("large", query)], query
    assert html.count('class="cell-candidate"') == 50


def test_an_old_application_keeps_its_new_version_date(app, client, login):
    office = make_office(app)
    application_id = add(app, office, first_name="Léa", last_name="Martin", minutes_ago=60)
    update(app, application_id, last_submitted_at=utcnow() - timedelta(minutes=1))
    login(office.lead)
    assert "New version " in html_of(client.get(office.list_url, headers=EN))
