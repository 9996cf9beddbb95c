"""`make bench`: figures for the pages that grow with the data.

For 3, 300 and 3,000 open offers it measures, on a throw-away SQLite database built by the
migrations (or on TEST_DATABASE_URL when set), the number of SQL statements and the median
wall-clock time of the public board, an offer page, the Atom feed, and the time to serve a
PDF offer sheet and an organisation's booklet (capped at BOOKLET_MAX_OFFERS offers). PDFs are
measured twice: "cached" (the usual case: served from the PDF cache, or 304) and "cold"
(PDF_CACHE_ENABLED off, so every request renders). Then, for one offer with 3, 300 and 3,000
applications, the back office of the review workflow: the offer's application list (plain,
sorted by score, searched), an application page, the CSV and XLSX exports. Then one
reminders pass over 1,000 offers and 100,000 applications, first and second run (`make bench`
runs that section on PostgreSQL too). Figures are printed, not asserted: the tests guard the
query counts; timings depend on the machine.

Then the rate (mails/s) at which 1,000 emailed applications with attachments are ingested
from a Maildir (`make bench` runs that section on PostgreSQL too).

``python -m tests.bench [boards] [review] [reminders] [ingest]`` runs only the sections named.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager

import sqlalchemy as sa

SIZES = (3, 300, 3000)
RUNS = 7
COLD_RUNS = 3  # a cold booklet takes seconds


@contextmanager
def counting(engine):
    count = [0]

    def before(*args, **kwargs):
        count[0] += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield count
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@contextmanager
def bench_app():
    """A throw-away app whose database the migrations build; yields (app, engine).

    SQLite in a temporary directory, or TEST_DATABASE_URL (emptied again afterwards).
    """
    from flask_migrate import downgrade, upgrade

    from tracker import create_app
    from tracker.db import db

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TRACKER_INSTANCE_PATH"] = tmp
        url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            engine = db.engine
        try:
            yield app, engine
        finally:
            with app.app_context():
                db.session.remove()
                if engine.dialect.name == "postgresql":
                    downgrade(revision="base")
                engine.dispose()


def measure(client, engine, url: str, runs: int = RUNS) -> tuple[int, float, int]:
    client.get(url)  # warm caches (templates, translations)
    with counting(engine) as count:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - start)
    return count[0], statistics.median(timings) * 1000, len(response.data)


def populate(app, n: int):
    from tests import factories
    from tracker.db import db
    from tracker.postings.models import PostingStatus

    with app.app_context():
        orgs = [factories.organisation() for _ in range(max(1, min(10, n // 3)))]
        admin = factories.user(orgs[0])
        first = None
        for i in range(n):
            posting = factories.posting(orgs[i % len(orgs)], status=PostingStatus.PUBLISHED,
                                        actor=admin, deadline=factories.future(5 + i % 60))
            first = first or posting
        db.session.commit()
        return f"/offres/{first.id}-{first.slug}", orgs[0].slug


def boards() -> None:
    print(f"{'offers':>7} {'page':<22} {'queries':>7} {'median ms':>10} {'bytes':>9}")
    for n in SIZES:
        with bench_app() as (app, engine):
            detail, org_slug = populate(app, n)
            client = app.test_client()
            pages = {
                "board /": "/",
                "board page 2": "/?page=2" if n > 30 else "/",
                "board search": "/?q=mission",
                "offer detail": detail,
                "organisation page": f"/organisations/{org_slug}",
                "atom feed": "/offres.atom",
                "offer PDF (cached)": detail + ".pdf",
                "booklet PDF (cached)": f"/organisations/{org_slug}/offres.pdf",
            }
            for name, path in pages.items():
                queries, ms, size = measure(client, engine, path)
                print(f"{n:>7} {name:<22} {queries:>7} {ms:>10.1f} {size:>9}")
            app.config["PDF_CACHE_ENABLED"] = False
            for name, path in (("offer PDF (cold)", detail + ".pdf"),
                               ("booklet PDF (cold)", f"/organisations/{org_slug}/offres.pdf")):
                queries, ms, size = measure(client, engine, path, runs=COLD_RUNS)
                print(f"{n:>7} {name:<22} {queries:>7} {ms:>10.1f} {size:>9}")
            app.config["PDF_CACHE_ENABLED"] = True


# --- The review workflow: one offer with many applications --------------------------------

APPLICATION_SIZES = (3, 300, 3000)


def populate_applications(app, n: int):
    """One published offer with ``n`` applications (bulk-inserted), an admin; returns ids."""
    from datetime import timedelta

    from tests import factories
    from tracker.applications.models import Application, Candidate, Submission
    from tracker.db import db, utcnow
    from tracker.postings.models import PostingStatus
    from tracker.review.stages import initial_stage

    with app.app_context():
        org = factories.organisation()
        admin = factories.user(org)
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, actor=admin)
        stage = initial_stage(org)
        now = utcnow()
        first_names = ("Léa", "Karim", "Sophie", "Thomas", "Awa", "Julien", "Inès", "Hugo")
        db.session.execute(sa.insert(Candidate), [
            {"organisation_id": org.id, "first_name": first_names[i % len(first_names)],
             "last_name": f"Nom{i:05d}", "email": f"candidate{i}@example.com",
             "phone": "06 00 00 00 00", "created_at": now, "updated_at": now}
            for i in range(n)])
        candidate_ids = db.session.scalars(
            sa.select(Candidate.id).where(Candidate.organisation_id == org.id)
            .order_by(Candidate.id)).all()
        db.session.execute(sa.insert(Application), [
            {"organisation_id": org.id, "posting_id": posting.id, "candidate_id": cid,
             "reference": f"B{posting.id}-{i:06d}", "channel": "form", "locale": "fr",
             "link_key": f"k{i}", "submitted_at": now - timedelta(minutes=i),
             "last_submitted_at": now - timedelta(minutes=i), "consent_at": now,
             "retain_until": now + timedelta(days=700), "stage_id": stage.id,
             "stage_changed_at": now, "decision_reason": "", "review_count": i % 3,
             "score": (1 + (i % 40) / 10) if i % 3 else None,
             "created_at": now, "updated_at": now}
            for i, cid in enumerate(candidate_ids)])
        application_ids = db.session.scalars(
            sa.select(Application.id).where(Application.posting_id == posting.id)).all()
        db.session.execute(sa.insert(Submission), [
            {"application_id": aid, "version": 1, "channel": "form", "message": "Bonjour",
             "letter_text": "", "submitted_at": now} for aid in application_ids])
        db.session.commit()
        return org.slug, posting.id, application_ids[len(application_ids) // 2], admin.email


def review_workflow() -> None:
    from tests import factories

    print()
    print(f"{'applications':>12} {'back-office page':<26} {'queries':>7} {'median ms':>10} "
          f"{'bytes':>9}")
    for n in APPLICATION_SIZES:
        with bench_app() as (app, engine):
            org_slug, posting_id, application_id, email = populate_applications(app, n)
            client = app.test_client()
            response = client.post("/connexion", data={"email": email,
                                                       "password": factories.PASSWORD})
            assert response.status_code == 302
            base = f"/gestion/{org_slug}"
            pages = {
                "applications list": f"{base}/offres/{posting_id}/candidatures",
                "list by score": f"{base}/offres/{posting_id}/candidatures?{SORT_BY_SCORE}",
                "list search": f"{base}/offres/{posting_id}/candidatures?q=nom00042",
                "application page": f"{base}/candidatures/{application_id}",
                "CSV export": f"{base}/offres/{posting_id}/candidatures.csv",
                "XLSX export": f"{base}/offres/{posting_id}/candidatures.xlsx",
            }
            for name, path in pages.items():
                queries, ms, size = measure(client, engine, path, runs=3 if n > 300 else RUNS)
                print(f"{n:>12} {name:<26} {queries:>7} {ms:>10.1f} {size:>9}")


SORT_BY_SCORE = "tri=score"


# --- Reminders: one pass of `flask remind` over a busy instance ---------------------------

REMINDER_OFFERS = 1000
REMINDER_APPLICATIONS = 100_000


def reminders() -> None:
    """One reminders pass (``engine.run_pass``: closing, every rule, digests) over 1,000 offers
    and 100,000 applications bulk-inserted by tests/reminders/bulk.py (deadlines past and
    future, offers closed recently and long ago, a third of the applications reviewed): the
    first pass closes and queues everything due, the second, at the same instant, finds
    everything done (the pass a worker runs every minute). Outbox delivery is not included."""
    from tests.reminders import bulk
    from tracker.db import db, utcnow
    from tracker.reminders.engine import run_pass

    print()
    print(f"reminders pass over {REMINDER_OFFERS} offers and {REMINDER_APPLICATIONS} "
          f"applications")
    print(f"{'database':<11} {'pass':<7} {'seconds':>8} {'statements':>10} {'closed':>7} "
          f"{'queued':>7} {'digest':>7} {'skipped':>7} {'errors':>7}")
    with bench_app() as (app, engine), app.app_context():
        now = utcnow().replace(microsecond=0)
        start = time.perf_counter()
        built = bulk.populate(REMINDER_OFFERS, REMINDER_APPLICATIONS, now=now)
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:  # what autovacuum does after a bulk load
                conn.execute(sa.text("ANALYZE"))
                conn.commit()
        loaded = time.perf_counter() - start
        for name in ("first", "second"):
            db.session.remove()
            with counting(engine) as count:
                start = time.perf_counter()
                report = run_pass(now)
                seconds = time.perf_counter() - start
            print(f"{engine.dialect.name:<11} {name:<7} {seconds:>8.2f} {count[0]:>10} "
                  f"{report.count('close'):>7} {report.count('queue'):>7} "
                  f"{report.count('digest'):>7} {report.count('skip'):>7} "
                  f"{report.count('error'):>7}")
        print(f"(data: {built.offers} offers of {built.organisations} organisations "
              f"{built.by_case}, {built.applications} applications, {built.reviews} reviews; "
              f"loaded in {loaded:.0f} s)")


# --- Ingest: applications by email, read from a Maildir -----------------------------------

INGEST_MAILS = 1000
INGEST_OFFERS = 10
INGEST_VERSION = 2  # bump when the generated mails change


def _ingest_maildir() -> str:
    """1,000 mails in a Maildir, each with a PDF CV and a PDF cover letter, written once into
    the temporary directory and reused by later runs (and by the PostgreSQL run). 90% carry an
    offer's subject line as candidates write it (forwarded, upper case, their name appended),
    10% a near miss that goes to triage."""
    import mailbox
    import unicodedata
    from datetime import UTC, datetime, timedelta
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid
    from pathlib import Path

    from tests.files import make_pdf

    path = Path(tempfile.gettempdir()) / f"tracker-bench-maildir-v{INGEST_VERSION}"
    if (path / "complete").exists():
        return str(path)
    box = mailbox.Maildir(path, create=True)
    box.clear()
    names = [("Léa", "Martin"), ("Karim", "Benali"), ("Sophie", "Durand"), ("Awa", "Diallo"),
             ("Julien", "Moreau"), ("Inès", "Garcia"), ("Hugo", "Petit"), ("Zoé", "André"),
             ("Thomas", "Leroy"), ("Emma", "Faure")]
    cvs = [make_pdf(f"{first} {last} – Curriculum vitae") for first, last in names]
    letters = [make_pdf(f"Madame, Monsieur, lettre de motivation de {first} {last}")
               for first, last in names]
    sent = datetime.now(UTC) - timedelta(hours=1)
    for i in range(INGEST_MAILS):
        first, last = names[i % len(names)]
        local = unicodedata.normalize("NFKD", f"{first}.{last}{i}".lower()).encode(
            "ascii", "ignore").decode()
        line = f"Candidature chargé de mission conseils citoyens {i % INGEST_OFFERS + 1}"
        if i % 10 == 9:
            subject = line.replace("chargé de mission ", "")  # a near miss
        elif i % 3 == 0:
            subject = f"TR: {line} ({first} {last})"
        elif i % 3 == 1:
            subject = line.upper()
        else:
            subject = line
        message = EmailMessage()
        message["From"] = f"{first} {last} <{local}@example.com>"
        message["To"] = "recrutement@example.org"
        message["Subject"] = subject
        message["Date"] = format_datetime(sent)
        message["Message-ID"] = make_msgid(idstring=f"bench{i}", domain="example.com")
        message.set_content(f"Bonjour,\n\nVous trouverez ci-joint ma candidature.\n\n"
                            f"{first} {last}\n06 12 34 56 78\n")
        message.add_attachment(cvs[i % len(cvs)], maintype="application", subtype="pdf",
                               filename=f"CV {first} {last}.pdf")
        message.add_attachment(letters[i % len(letters)], maintype="application",
                               subtype="pdf", filename=f"Lettre de motivation {last}.pdf")
        box.add(message.as_bytes())
    (path / "complete").write_text("ok\n")
    return str(path)


def ingest_mail() -> None:
    """``flask ingest`` over a Maildir of 1,000 mails with attachments (each parsed, routed,
    its two PDFs checked like form uploads, the application made with its emails queued, one
    transaction per mail), then the same Maildir again (everything already recorded)."""
    from collections import Counter

    from tests import factories
    from tracker.db import db
    from tracker.ingest.services import ingest_source
    from tracker.ingest.sources import MaildirFolder
    from tracker.postings.models import PostingStatus

    print()
    print(f"ingest: {INGEST_MAILS} mails from a Maildir, each with a PDF CV and a PDF letter")
    maildir = _ingest_maildir()
    print(f"{'database':<11} {'run':<7} {'seconds':>8} {'mails/s':>8} {'statements':>10} "
          f"{'applications':>12} {'triage':>7} {'other':>6}")
    with bench_app() as (app, engine), app.app_context():
        organisation = factories.organisation(email="recrutement@example.org")
        admin = factories.user(organisation)
        for n in range(1, INGEST_OFFERS + 1):
            factories.posting(organisation, status=PostingStatus.PUBLISHED, actor=admin,
                              subject_line=f"Candidature chargé de mission conseils citoyens "
                                           f"{n}")
        db.session.commit()
        for run in ("first", "again"):
            db.session.remove()
            counts: Counter = Counter()
            with counting(engine) as count:
                start = time.perf_counter()
                for outcome in ingest_source(MaildirFolder(maildir)):
                    counts["already" if outcome.already else outcome.status] += 1
                seconds = time.perf_counter() - start
            mails = sum(counts.values())
            other = mails - counts["application"] - counts["triage"]
            print(f"{engine.dialect.name:<11} {run:<7} {seconds:>8.1f} {mails / seconds:>8.1f} "
                  f"{count[0]:>10} {counts['application']:>12} {counts['triage']:>7} "
                  f"{other:>6}")


SECTIONS = {"boards": boards, "review": review_workflow, "reminders": reminders,
            "ingest": ingest_mail}


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.bench [section ...]``: the sections named (all by default)."""
    names = (sys.argv[1:] if argv is None else argv) or list(SECTIONS)
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {', '.join(unknown)}; choose among {', '.join(SECTIONS)}",
              file=sys.stderr)
        return 2
    for name in names:
        SECTIONS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
