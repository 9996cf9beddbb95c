"""The board's list of open offers: what is listed, in which order, filters, search, pages."""

from __future__ import annotations

import re
from datetime import timedelta

from tests import factories
from tests.board.helpers import expired, main_html, published
from tracker.db import db
from tracker.postings.models import ContractType, PostingStatus


def titles_on(html: str) -> list[str]:
    """Offer titles in page order."""
    return re.findall(r'class="offer-title"><a href="[^"]+">([^<]+)</a>', html)


def test_index_lists_only_open_offers_soonest_deadline_first(app, en_client):
    with app.app_context():
        org = factories.organisation()
        other = factories.organisation()
        published(org, title="Later", deadline=factories.future(20))
        published(other, title="Soonest", deadline=factories.future(5))
        published(org, title="Middle", deadline=factories.future(10))
        factories.posting(org, title="Draft one")
        factories.posting(org, title="Closed one", status=PostingStatus.CLOSED)
        factories.posting(org, title="Filled one", status=PostingStatus.FILLED)
        factories.posting(org, title="Archived one", status=PostingStatus.ARCHIVED)
        expired(org, title="Expired one")
        db.session.commit()

    html = en_client.get("/").get_data(as_text=True)

    assert titles_on(html) == ["Soonest", "Middle", "Later"]
    assert "3 open offers" in html


def test_index_item_shows_organisation_contract_place_period_deadline_and_link(
    app, en_client, en_request
):
    with app.app_context():
        org = factories.organisation(name="Villes au Carré")
        posting = published(org, title="Stage démocratie", contract_type=ContractType.STAGE,
                            city="Tours")
        db.session.commit()
        with en_request():
            from tracker.postings import display

            expected_period = display.period_text(posting)
            expected_deadline = display.deadline_text(posting)
        detail_url = f"/offres/{posting.id}-{posting.slug}"
        org_url = f"/organisations/{org.slug}"

    html = main_html(en_client.get("/").get_data(as_text=True))

    assert f'<a href="{detail_url}">Stage démocratie</a>' in html
    assert f'<a href="{org_url}">Villes au Carré</a>' in html
    assert '<li class="offer-contract">Internship</li>' in html
    assert '<li class="offer-place">Tours</li>' in html
    assert f'<li class="offer-period">{expected_period}</li>' in html
    assert f"Deadline: {expected_deadline}" in html


def test_index_empty_board_says_so(app, en_client):
    html = en_client.get("/").get_data(as_text=True)
    assert "0 open offers" in html
    assert "There is no open offer at the moment." in html


def test_index_filter_by_organisation(app, en_client):
    with app.app_context():
        first = factories.organisation(name="RésO Villes")
        second = factories.organisation(name="Villes au Carré")
        published(first, title="At ReSO")
        published(second, title="At Villes")
        db.session.commit()
        slug = first.slug

    html = en_client.get(f"/?organisation={slug}").get_data(as_text=True)

    assert titles_on(html) == ["At ReSO"]
    assert f'<option selected value="{slug}">RésO Villes</option>' in html
    assert "1 offer matches your search" in html


def test_index_organisation_choices_are_those_with_open_offers(app, en_client):
    with app.app_context():
        factories.organisation(name="Sans offre")
        with_offer = factories.organisation(name="Avec offre")
        published(with_offer)
        db.session.commit()

    html = en_client.get("/").get_data(as_text=True)

    assert ">Avec offre</option>" in html
    assert ">Sans offre</option>" not in html


def test_index_filter_by_contract_type(app, en_client):
    with app.app_context():
        org = factories.organisation()
        published(org, title="A CDD", contract_type=ContractType.CDD)
        published(org, title="A stage", contract_type=ContractType.STAGE)
        db.session.commit()

    html = en_client.get("/?contrat=stage").get_data(as_text=True)

    assert titles_on(html) == ["A stage"]
    assert '<option selected value="stage">Internship</option>' in html


def test_index_filter_by_place_city_postal_code_or_region(app, en_client):
    with app.app_context():
        org = factories.organisation()
        published(org, title="In Nantes", city="Nantes", postal_code="44000",
                  region="Pays de la Loire", places="")
        published(org, title="In Tours", city="Tours", postal_code="37000",
                  region="Centre-Val de Loire", places="")
        db.session.commit()

    assert titles_on(en_client.get("/?lieu=Nantes").get_data(as_text=True)) == ["In Nantes"]
    assert titles_on(en_client.get("/?lieu=tours").get_data(as_text=True)) == ["In Tours"]
    assert titles_on(en_client.get("/?lieu=44").get_data(as_text=True)) == ["In Nantes"]
    assert titles_on(en_client.get("/?lieu=centre-val").get_data(as_text=True)) == ["In Tours"]


def test_index_place_suggestions_are_the_cities_of_open_offers(app, en_client):
    with app.app_context():
        org = factories.organisation()
        published(org, city="Tours")
        published(org, city="Nantes")
        published(org, city="Nantes")
        factories.posting(org, city="Orléans", status=PostingStatus.CLOSED)
        db.session.commit()

    html = en_client.get("/").get_data(as_text=True)

    datalist = re.search(r'<datalist id="board-places">(.*?)</datalist>', html, re.DOTALL).group(1)
    assert re.findall(r'<option value="([^"]+)">', datalist) == ["Nantes", "Tours"]
    assert 'list="board-places"' in html


def test_index_search_matches_title_missions_profile_organisation_and_city(app, en_client):
    with app.app_context():
        org = factories.organisation(name="Maison des Solidarités")
        other = factories.organisation(name="Centre social")
        published(other, title="By title: Médiateur numérique", missions="- x", profile="- y",
                  city="Blois")
        published(other, title="By missions", missions="- Animer la **concertation**",
                  profile="- y", city="Blois")
        published(other, title="By profile", missions="- x", profile="- Permis B apprécié",
                  city="Blois")
        published(org, title="By organisation", missions="- x", profile="- y", city="Blois")
        published(other, title="By city", missions="- x", profile="- y", city="Saint-Herblain")
        db.session.commit()

    def search(q):
        return titles_on(en_client.get("/", query_string={"q": q}).get_data(as_text=True))

    assert search("médiateur") == ["By title: Médiateur numérique"]
    assert search("concertation") == ["By missions"]
    assert search("permis") == ["By profile"]
    assert search("solidarités") == ["By organisation"]
    assert search("herblain") == ["By city"]


def test_index_search_ignores_case_and_accents(app, en_client):
    with app.app_context():
        org = factories.organisation()
        published(org, title="Chargé·e de mission ÉNERGIE", missions="- Rédiger", profile="- y")
        published(org, title="Autre offre", missions="- Mise en œuvre des actions", profile="- y")
        db.session.commit()

    def search(q):
        return titles_on(en_client.get("/", query_string={"q": q}).get_data(as_text=True))

    assert search("énergie") == ["Chargé·e de mission ÉNERGIE"]
    assert search("Energie") == ["Chargé·e de mission ÉNERGIE"]
    assert search("REDIGER") == ["Chargé·e de mission ÉNERGIE"]
    assert search("oeuvre") == ["Autre offre"]
    assert search("ŒUVRE") == ["Autre offre"]


def test_index_search_every_word_must_match(app, en_client):
    with app.app_context():
        org = factories.organisation()
        published(org, title="Chargé de mission Nantes", city="Nantes")
        published(org, title="Chargé de mission Tours", city="Tours")
        db.session.commit()

    html = en_client.get("/", query_string={"q": "mission tours"}).get_data(as_text=True)

    assert titles_on(html) == ["Chargé de mission Tours"]


def test_index_search_treats_like_wildcards_literally(app, en_client):
    with app.app_context():
        org = factories.organisation()
        published(org, title="Animateur")
        db.session.commit()

    for q in ("%", "_", "anim%"):
        html = en_client.get("/", query_string={"q": q}).get_data(as_text=True)
        assert titles_on(html) == [], q


def test_index_no_match_shows_message_reset_link_and_keeps_values(app, en_client):
    with app.app_context():
        org = factories.organisation()
        published(org, title="Animateur", city="Tours")
        db.session.commit()

    response = en_client.get("/?q=astronaute&contrat=cdi&lieu=Tours")
    html = main_html(response.get_data(as_text=True))

    assert response.status_code == 200
    assert "0 offers match your search" in html
    assert "No offer matches your search." in html
    assert '<a href="/">Reset the filters and see every open offer</a>' in html
    assert 'value="astronaute"' in html
    assert '<option selected value="cdi">Permanent contract (CDI)</option>' in html
    assert 'value="Tours"' in html


def test_index_filters_form_is_a_plain_get_form(app, en_client):
    html = en_client.get("/").get_data(as_text=True)
    form = re.search(r'<form class="board-filters"[^>]*>', html).group(0)
    assert 'method="get"' in form
    assert 'action="/"' in form
    for name in ("q", "organisation", "contrat", "lieu"):
        assert f'name="{name}"' in html
    assert 'name="csrf_token"' not in html


def test_index_unknown_filter_values_are_ignored(app, en_client):
    with app.app_context():
        org = factories.organisation()
        published(org, title="Animateur")
        db.session.commit()

    response = en_client.get("/?contrat=astronaut&organisation=nobody&page=abc")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert titles_on(html) == ["Animateur"]
    assert "Not a valid choice" not in html
    assert "1 open offer" in html


def test_index_control_characters_in_search_do_not_fail(app, en_client):
    with app.app_context():
        published(factories.organisation(), title="Animateur", city="Tours")
        db.session.commit()

    response = en_client.get("/?q=anim%00ateur&lieu=%00Tours%0b")

    assert response.status_code == 200
    assert titles_on(response.get_data(as_text=True)) == ["Animateur"]


def test_index_paginates_with_filters_kept(app, en_client, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_PAGE_SIZE", 2)
    with app.app_context():
        org = factories.organisation()
        for n in range(5):
            published(org, title=f"Offer {n}", deadline=factories.future(10 + n))
        published(org, title="Internship", contract_type=ContractType.STAGE,
                  deadline=factories.future(40))
        db.session.commit()

    first = en_client.get("/?contrat=cdd").get_data(as_text=True)
    third = en_client.get("/?contrat=cdd&page=3").get_data(as_text=True)

    assert titles_on(first) == ["Offer 0", "Offer 1"]
    assert "5 offers match your search" in first
    assert "Page 1 of 3" in first
    assert 'rel="next" href="/?page=2&amp;contrat=cdd"' in first
    assert titles_on(third) == ["Offer 4"]
    assert 'rel="prev" href="/?page=2&amp;contrat=cdd"' in third
    assert 'rel="next"' not in third


def test_index_page_out_of_range_shows_empty_page_message(app, en_client, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_PAGE_SIZE", 2)
    with app.app_context():
        org = factories.organisation()
        published(org, title="Only one")
        db.session.commit()

    for page in ("99999", "99999999999999999999999999"):
        response = en_client.get(f"/?page={page}&q=only")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert titles_on(html) == []
        assert "There are no offers on this page." in html
        assert '<a href="/?q=only">Go to the first page</a>' in html


def test_index_bad_page_numbers_show_first_page(app, en_client):
    with app.app_context():
        org = factories.organisation()
        published(org, title="Only one")
        db.session.commit()

    for page in ("abc", "0", "-3", "1.5", ""):
        response = en_client.get(f"/?page={page}")
        assert response.status_code == 200
        assert titles_on(response.get_data(as_text=True)) == ["Only one"], page


def test_index_links_the_atom_feed_in_head(app, en_client):
    html = en_client.get("/").get_data(as_text=True)
    head = html[: html.index("</head>")]
    assert '<link rel="alternate" type="application/atom+xml" href="/offres.atom"' in head


def test_index_query_count_does_not_grow_with_offers(app, en_client, queries):
    with app.app_context():
        orgs = [factories.organisation() for _ in range(3)]
        for n in range(3):
            published(orgs[n % 3], deadline=factories.future(10 + n))
        db.session.commit()
    en_client.get("/")  # warm up (first-request work is not the page's)
    with queries() as few:
        assert en_client.get("/").status_code == 200
    few_count = few()

    with app.app_context():
        orgs = [db.session.merge(org) for org in orgs]
        for n in range(297):
            published(orgs[n % 3], deadline=factories.future(5 + n % 50))
        db.session.commit()
    with queries() as many:
        html = en_client.get("/").get_data(as_text=True)

    assert "300 open offers" in html
    assert many() == few_count
    assert few_count <= 5


def test_index_search_query_count_does_not_grow_with_offers(app, en_client, queries):
    with app.app_context():
        org = factories.organisation()
        for _ in range(3):
            published(org, title="Animateur")
        db.session.commit()
    with queries() as few:
        en_client.get("/?q=anim&contrat=cdd&lieu=nantes")
    with app.app_context():
        org = db.session.merge(org)
        for _ in range(60):
            published(org, title="Animateur")
        db.session.commit()
    with queries() as many:
        html = en_client.get("/?q=anim&contrat=cdd&lieu=nantes").get_data(as_text=True)
    assert "63 offers match your search" in html
    assert many() == few()


def test_index_deadline_passed_a_minute_ago_is_not_listed(app, en_client):
    with app.app_context():
        org = factories.organisation()
        posting = published(org, title="Just closed")
        posting.deadline = posting.published_at - timedelta(minutes=1)
        db.session.commit()

    assert titles_on(en_client.get("/").get_data(as_text=True)) == []
