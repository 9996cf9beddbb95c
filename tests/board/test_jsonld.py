"""schema.org JobPosting data embedded in the public offer page."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tests import factories
from tests.board.helpers import LD_JSON, expired, json_ld, published
from tracker.board.jsonld import script_json
from tracker.db import db
from tracker.postings.models import ContractType, PayKind, PayPeriod, PostingStatus


def test_jsonld_has_required_keys_and_values(app, en_client):
    with app.app_context():
        org = factories.organisation(name="RésO Villes", website="https://www.example.org/")
        posting = published(
            org,
            title="Chargé·e d'accompagnement des conseils citoyens",
            reference="RV-2021-04",
            missions="- Soutenir le **fonctionnement**",
        )
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"
        published_at = posting.published_at
        deadline = posting.deadline

    data = json_ld(en_client.get(url).get_data(as_text=True))

    assert data["@context"] == "https://schema.org/"
    assert data["@type"] == "JobPosting"
    assert data["title"] == "Chargé·e d'accompagnement des conseils citoyens"
    assert data["datePosted"] == published_at.isoformat()
    valid_through = datetime.fromisoformat(data["validThrough"])
    assert valid_through == deadline
    assert valid_through.utcoffset() is not None
    assert data["validThrough"][-6:] in ("+01:00", "+02:00")  # Europe/Paris
    assert data["hiringOrganization"] == {
        "@type": "Organization",
        "name": "RésO Villes",
        "sameAs": "https://www.example.org/",
    }
    assert data["jobLocation"] == {
        "@type": "Place",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": "Nantes",
            "postalCode": "44000",
            "addressRegion": "Pays de la Loire",
            "addressCountry": "FR",
        },
    }
    assert data["employmentType"] == ["TEMPORARY", "PART_TIME"]
    assert data["baseSalary"] == {
        "@type": "MonetaryAmount",
        "currency": "EUR",
        "value": {
            "@type": "QuantitativeValue",
            "minValue": 1800,
            "maxValue": 2000,
            "unitText": "MONTH",
        },
    }
    assert data["directApply"] is True
    assert data["identifier"] == {
        "@type": "PropertyValue",
        "name": "RésO Villes",
        "value": "RV-2021-04",
    }
    assert data["url"] == f"http://tracker.test{url}"
    assert data["educationRequirements"] == "Master 2 développement local"
    assert data["experienceRequirements"] == "Une expérience dans l'animation est un plus"
    assert "<h2>Missions</h2>" in data["description"]
    assert "<li>Soutenir le <strong>fonctionnement</strong></li>" in data["description"]
    assert "<h2>Presentation</h2>" in data["description"]
    assert "<h2>Profile</h2>" in data["description"]


def test_jsonld_logo_is_absolute_url_when_organisation_has_one(app, en_client):
    with app.app_context():
        org = factories.organisation(logo=b"<svg/>", logo_media_type="image/svg+xml")
        posting = published(org)
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"
        logo = f"http://tracker.test/organisations/{org.slug}/logo"

    data = json_ld(en_client.get(url).get_data(as_text=True))

    assert data["hiringOrganization"]["logo"] == logo


def test_jsonld_single_amount_per_year_and_full_time_cdi(app, en_client):
    with app.app_context():
        posting = published(
            factories.organisation(), contract_type=ContractType.CDI, working_time="full_time",
            pay_min=Decimal(32000), pay_max=None, pay_period=PayPeriod.YEAR,
        )
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    data = json_ld(en_client.get(url).get_data(as_text=True))

    assert data["employmentType"] == ["FULL_TIME"]
    assert data["baseSalary"]["value"] == {
        "@type": "QuantitativeValue", "value": 32000, "unitText": "YEAR",
    }


def test_jsonld_no_salary_for_gratification_and_no_empty_fields(app, en_client):
    with app.app_context():
        posting = published(
            factories.organisation(website=""), contract_type=ContractType.STAGE,
            pay_kind=PayKind.GRATIFICATION, pay_min=None, pay_max=None, pay_period=None,
            pay_basis=None, diploma="", experience="", postal_code="", region="",
            working_time="full_time",
        )
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    data = json_ld(en_client.get(url).get_data(as_text=True))

    assert "baseSalary" not in data
    assert "educationRequirements" not in data
    assert "experienceRequirements" not in data
    assert "sameAs" not in data["hiringOrganization"]
    assert data["jobLocation"]["address"] == {
        "@type": "PostalAddress", "addressLocality": "Nantes", "addressCountry": "FR",
    }
    assert data["employmentType"] == ["INTERN"]


def test_jsonld_on_closed_page_ends_when_offer_closed(app, en_client):
    with app.app_context():
        closed = factories.posting(factories.organisation(), status=PostingStatus.CLOSED)
        old = expired(factories.organisation())
        db.session.commit()
        closed_url = f"/offres/{closed.id}-{closed.slug}"
        closed_at = closed.closed_at
        old_url = f"/offres/{old.id}-{old.slug}"
        old_deadline = old.deadline

    closed_data = json_ld(en_client.get(closed_url).get_data(as_text=True))
    old_data = json_ld(en_client.get(old_url).get_data(as_text=True))

    assert datetime.fromisoformat(closed_data["validThrough"]) == closed_at
    assert datetime.fromisoformat(old_data["validThrough"]) == old_deadline


def test_jsonld_escapes_script_breaking_characters(app, en_client):
    with app.app_context():
        posting = published(
            factories.organisation(name="A & B <Asso>"),
            title="</script><!-- Chef & co <b>",
        )
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}"

    html = en_client.get(url).get_data(as_text=True)
    raw = LD_JSON.search(html).group(1)
    data = json_ld(html)

    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert "\\u003c/script\\u003e\\u003c!-- Chef \\u0026 co \\u003cb\\u003e" in raw
    assert data["title"] == "</script><!-- Chef & co <b>"
    assert data["hiringOrganization"]["name"] == "A & B <Asso>"


def test_script_json_escapes_line_separators():
    assert str(script_json({"a": "x\u2028y</"})) == '{"a":"x\\u2028y\\u003c/"}'
