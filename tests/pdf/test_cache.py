"""Public PDFs are rendered once per change and served from files shared by all processes."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.pdf.conftest import cache_dir
from tests.pdf.helpers import contains, pdf_text
from tracker.accounts.models import Organisation, Role
from tracker.db import db, utcnow
from tracker.pdf import services
from tracker.pdf.cache import PdfCache, looks_complete
from tracker.postings import services as posting_services
from tracker.postings.models import Posting, PostingContact, PostingStatus


def published_sheet(app) -> tuple[int, str]:
    with app.app_context():
        org = factories.organisation(slug="villes-au-carre")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        db.session.commit()
        return posting.id, f"/offres/{posting.id}-{posting.slug}.pdf"


def cached_files(app) -> list[str]:
    folder = cache_dir(app)
    if not os.path.isdir(folder):
        return []
    return sorted(name for name in os.listdir(folder) if name.endswith(".pdf"))


def etag_of(response) -> str:
    etag, weak = response.get_etag()
    assert weak is False
    return etag


# -- served from the cache ------------------------------------------------------------------

def test_offer_sheet_second_request_is_served_from_cache(app, client, renders, monkeypatch):
    _, url = published_sheet(app)

    first = client.get(url)

    assert first.status_code == 200
    assert renders == ["pdf/offer.html"]
    etag = etag_of(first)
    assert cached_files(app) == [f"{etag}.pdf"]
    with open(os.path.join(cache_dir(app), f"{etag}.pdf"), "rb") as handle:
        assert handle.read() == first.get_data()

    def no_rendering(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(services, "render_pdf", no_rendering)
    second = client.get(url)

    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert etag_of(second) == etag
    assert second.headers["Cache-Control"] == "public, max-age=300"
    assert second.headers["Content-Disposition"] == first.headers["Content-Disposition"]


def test_booklet_second_request_is_served_from_cache(app, client, renders):
    with app.app_context():
        org = factories.organisation(slug="reso-villes")
        factories.posting(org, status=PostingStatus.PUBLISHED)
        db.session.commit()

    first = client.get("/organisations/reso-villes/offres.pdf")
    second = client.get("/organisations/reso-villes/offres.pdf")

    assert first.status_code == second.status_code == 200
    assert renders == ["pdf/booklet.html"]
    assert second.get_data() == first.get_data()
    assert cached_files(app) == [f"{etag_of(first)}.pdf"]


def test_cache_disabled_renders_every_time_and_writes_nothing(app, client, renders, monkeypatch):
    _, url = published_sheet(app)
    monkeypatch.setitem(app.config, "PDF_CACHE_ENABLED", False)

    first = client.get(url)
    second = client.get(url)

    assert first.status_code == second.status_code == 200
    assert renders == ["pdf/offer.html", "pdf/offer.html"]
    assert cached_files(app) == []
    assert etag_of(first) == etag_of(second)  # the ETag still spares a download


def test_draft_sheet_is_never_cached(app, client, login, renders):
    with app.app_context():
        org = factories.organisation()
        lead = factories.user(org, Role.LEAD)
        posting = factories.posting(org, status=PostingStatus.DRAFT)
        factories.reviewer(posting, lead)  # leads see the offers they review
        db.session.commit()
        email, url = lead.email, f"/gestion/{org.slug}/offres/{posting.id}/fiche.pdf"
    login(email)

    first = client.get(url)
    second = client.get(url)

    assert first.status_code == second.status_code == 200
    assert renders == ["pdf/offer.html", "pdf/offer.html"]
    assert cached_files(app) == []
    assert first.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in first.headers


# -- what makes a new PDF ---------------------------------------------------------------------

def test_offer_sheet_edit_makes_a_new_pdf(app, client, renders):
    posting_id, url = published_sheet(app)
    before = client.get(url)

    with app.app_context():
        posting = db.session.get(Posting, posting_id)
        posting.title = "Chargé·e de mission vie associative"
        db.session.commit()
        url = f"/offres/{posting.id}-{posting.slug}.pdf"  # the slug stays
    after = client.get(url)

    assert after.status_code == 200
    assert etag_of(after) != etag_of(before)
    assert renders == ["pdf/offer.html", "pdf/offer.html"]
    assert contains(pdf_text(after.get_data()), "Chargé·e de mission vie associative")
    assert len(cached_files(app)) == 2  # the old file waits for eviction


def test_offer_sheet_closing_makes_a_new_pdf_saying_so(app, client, renders):
    posting_id, url = published_sheet(app)
    before = client.get(url)

    with app.app_context():
        posting = db.session.get(Posting, posting_id)
        posting_services.transition(posting, PostingStatus.CLOSED, actor=None)
        db.session.commit()
        with app.test_request_context():
            from flask_babel import force_locale

            with force_locale("fr"):
                notice = services.notice_for(posting, utcnow())
    after = client.get(url)

    assert etag_of(after) != etag_of(before)
    assert notice != ""
    assert contains(pdf_text(after.get_data()), notice)
    assert not contains(pdf_text(before.get_data()), notice)


def test_offer_sheet_key_changes_when_deadline_passes_without_edit(app):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        db.session.commit()
        with app.test_request_context():
            deadline = posting.deadline
            before = services.offer_sheet_document(posting, deadline - timedelta(minutes=1))
            still = services.offer_sheet_document(posting, deadline - timedelta(seconds=1))
            after = services.offer_sheet_document(posting, deadline + timedelta(seconds=1))

    assert before.key == still.key
    assert after.key != before.key


def test_offer_sheet_contact_change_makes_a_new_pdf(app, client):
    """Contacts are rows of their own: editing one leaves the posting's updated_at alone."""
    posting_id, url = published_sheet(app)
    before = client.get(url)

    with app.app_context():
        contact = db.session.scalars(
            sa.select(PostingContact).where(PostingContact.posting_id == posting_id)
        ).first()
        contact.name = "Maëlle Exemple"
        db.session.commit()
    after = client.get(url)

    assert etag_of(after) != etag_of(before)
    assert contains(pdf_text(after.get_data()), "Maëlle Exemple")


def test_booklet_new_offer_or_organisation_edit_makes_a_new_pdf(app, client, renders):
    with app.app_context():
        org = factories.organisation(slug="reso-villes")
        factories.posting(org, status=PostingStatus.PUBLISHED, title="Premier poste")
        db.session.commit()
        org_id = org.id
    url = "/organisations/reso-villes/offres.pdf"
    first = client.get(url)

    with app.app_context():
        factories.posting(db.session.get(Organisation, org_id), status=PostingStatus.PUBLISHED,
                          title="Second poste")
        db.session.commit()
    second = client.get(url)

    with app.app_context():
        db.session.get(Organisation, org_id).name = "RésO Villes Bretagne"
        db.session.commit()
    third = client.get(url)

    assert len({etag_of(first), etag_of(second), etag_of(third)}) == 3
    assert renders == ["pdf/booklet.html"] * 3
    assert not contains(pdf_text(first.get_data()), "Second poste")
    assert contains(pdf_text(second.get_data()), "Second poste")
    assert contains(pdf_text(third.get_data()), "RésO Villes Bretagne")


def test_booklet_key_changes_with_the_day_on_its_cover(app):
    with app.app_context():
        org = factories.organisation()
        factories.posting(org, status=PostingStatus.PUBLISHED, deadline=factories.future(30))
        db.session.commit()
        with app.test_request_context():
            now = utcnow()
            today = services.booklet_document(org, now).key
            later_today = services.booklet_document(org, now + timedelta(seconds=1)).key
            tomorrow = services.booklet_document(org, now + timedelta(days=1)).key

    assert today == later_today
    assert tomorrow != today


# -- conditional requests ---------------------------------------------------------------------

def test_offer_sheet_if_none_match_is_304(app, client, renders):
    _, url = published_sheet(app)
    etag = etag_of(client.get(url))

    response = client.get(url, headers={"If-None-Match": f'"{etag}"'})

    assert response.status_code == 304
    assert response.get_data() == b""
    assert etag_of(response) == etag
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert renders == ["pdf/offer.html"]
    # A weak validator and a list match too; another ETag gets the PDF.
    assert client.get(url, headers={"If-None-Match": f'"other", W/"{etag}"'}).status_code == 304
    stale = client.get(url, headers={"If-None-Match": '"0123456789abcdef"'})
    assert stale.status_code == 200
    assert stale.get_data().startswith(b"%PDF-")


def test_booklet_if_none_match_is_304_until_it_changes(app, client):
    with app.app_context():
        org = factories.organisation(slug="reso-villes")
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        db.session.commit()
        posting_id = posting.id
    url = "/organisations/reso-villes/offres.pdf"
    etag = etag_of(client.get(url))

    assert client.get(url, headers={"If-None-Match": f'"{etag}"'}).status_code == 304
    with app.app_context():
        posting_services.transition(db.session.get(Posting, posting_id), PostingStatus.FILLED,
                                    actor=None)
        db.session.commit()
    response = client.get(url, headers={"If-None-Match": f'"{etag}"'})
    assert response.status_code == 200
    assert etag_of(response) != etag


# -- damaged files, atomic writes, bounds ------------------------------------------------------

@pytest.mark.parametrize("damage", ["truncated", "empty", "not a pdf"])
def test_damaged_cache_file_is_not_served(app, client, renders, damage):
    _, url = published_sheet(app)
    good = client.get(url).get_data()
    path = os.path.join(cache_dir(app), cached_files(app)[0])
    damaged = {"truncated": good[: len(good) // 2], "empty": b"",
               "not a pdf": b"<html>oops</html>" + good[-10:]}[damage]
    with open(path, "wb") as handle:
        handle.write(damaged)

    response = client.get(url)

    assert response.status_code == 200
    assert looks_complete(response.get_data())
    assert len(response.get_data()) == len(good)
    assert renders == ["pdf/offer.html", "pdf/offer.html"]
    with open(path, "rb") as handle:
        assert looks_complete(handle.read())  # replaced by the new render


def test_cache_write_is_atomic_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    cache = PdfCache(str(tmp_path), max_files=10, max_bytes=10**6)
    pdf = b"%PDF-1.7\n...\n%%EOF\n"
    cache.put("aa11", pdf)
    assert cache.get("aa11") == pdf

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        cache.put("bb22", pdf)
    assert sorted(os.listdir(tmp_path)) == ["aa11.pdf"]  # no half file, no temp file
    assert cache.get("bb22") is None
    with pytest.raises(ValueError):
        cache.put("cc33", b"%PDF-1.7\ntruncated")
    with pytest.raises(ValueError):
        cache.get("../etc/passwd")


def test_cache_store_failure_still_serves_the_pdf(app, client, monkeypatch, caplog):
    _, url = published_sheet(app)

    def full_disk(self, key, data):
        raise OSError("No space left on device")

    monkeypatch.setattr(PdfCache, "put", full_disk)
    response = client.get(url)

    assert response.status_code == 200
    assert looks_complete(response.get_data())
    assert "cannot store" in caplog.text


def test_eviction_keeps_the_bound_on_files_least_recently_served_first(tmp_path):
    cache = PdfCache(str(tmp_path), max_files=3, max_bytes=10**6)
    pdf = b"%PDF-1.7\n" + b"x" * 100 + b"\n%%EOF\n"
    keys = ["a1", "b2", "c3"]
    for age, key in enumerate(keys):
        cache.put(key, pdf)
        os.utime(tmp_path / f"{key}.pdf", (1_000_000 + age, 1_000_000 + age))
    assert cache.get("a1") == pdf  # served now: the most recent

    cache.put("d4", pdf)
    cache.put("e5", pdf)

    assert sorted(os.listdir(tmp_path)) == ["a1.pdf", "d4.pdf", "e5.pdf"]


def test_eviction_keeps_the_bound_on_bytes(tmp_path):
    pdf = b"%PDF-1.7\n" + b"x" * 1000 + b"\n%%EOF\n"
    cache = PdfCache(str(tmp_path), max_files=100, max_bytes=len(pdf) * 2 + 10)
    for age, key in enumerate(["a1", "b2", "c3", "d4"]):
        cache.put(key, pdf)
        os.utime(tmp_path / f"{key}.pdf", (1_000_000 + age, 1_000_000 + age))
    cache.evict()

    assert sorted(os.listdir(tmp_path)) == ["c3.pdf", "d4.pdf"]


def test_eviction_removes_stale_temporary_files_only(tmp_path):
    cache = PdfCache(str(tmp_path), max_files=10, max_bytes=10**6)
    stale = tmp_path / ".tmp-crashed.pdf"
    fresh = tmp_path / ".tmp-writing.pdf"
    stale.write_bytes(b"%PDF-")
    fresh.write_bytes(b"%PDF-")
    os.utime(stale, (1_000_000, 1_000_000))

    cache.evict()

    assert sorted(os.listdir(tmp_path)) == [".tmp-writing.pdf"]


def test_route_keeps_cache_within_configured_bound(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_CACHE_MAX_FILES", 2)
    with app.app_context():
        org = factories.organisation()
        urls = []
        for _ in range(4):
            posting = factories.posting(org, status=PostingStatus.PUBLISHED)
            urls.append(f"/offres/{posting.id}-{posting.slug}.pdf")
        db.session.commit()

    etags = [etag_of(client.get(url)) for url in urls]

    assert cached_files(app) == sorted(f"{etag}.pdf" for etag in etags[-2:])


def test_concurrent_misses_render_once(tmp_path):
    """A second worker asking for a PDF being rendered waits for it instead of rendering too."""
    import threading
    import time

    cache = PdfCache(str(tmp_path), max_files=10, max_bytes=10**6)
    pdf = b"%PDF-1.7\nslow\n%%EOF\n"
    rendering = threading.Event()
    release = threading.Event()
    calls = []

    def slow_render():
        calls.append("render")
        rendering.set()
        release.wait(timeout=10)
        return pdf

    results = []

    def worker():
        results.append(cache.get_or_render("ab12", slow_render))

    first = threading.Thread(target=worker)
    first.start()
    assert rendering.wait(timeout=10)
    second = threading.Thread(target=worker)
    second.start()
    time.sleep(0.2)  # let the second worker find the cache empty and wait for the lock
    release.set()
    first.join(timeout=10)
    second.join(timeout=10)

    assert results == [pdf, pdf]
    assert calls == ["render"]
