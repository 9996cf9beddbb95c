"""Many applications at once against a running server (threads, real HTTP, real database).

The suite runs on SQLite and on PostgreSQL: on both, simultaneous applications must all be
recorded with their emails, and simultaneous versions of one application must queue up rather
than fail on a unique constraint.
"""

from __future__ import annotations

import http.client
import secrets
import threading
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.applications.apply_support import counts, make_offer
from tests.files import make_docx, make_pdf
from tracker.applications.models import Application, Candidate, Submission
from tracker.db import db
from tracker.mail.models import Message

THREADS = 50
TIMEOUT = 120


@pytest.fixture(scope="module")
def server(app):
    """The session's application served on 127.0.0.1 (an ephemeral port), one thread a request."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]):
    """(body, content type) of a multipart/form-data request, as a browser sends it."""
    boundary = "----tracker" + secrets.token_hex(12)
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8") + b"\r\n"
        )
    for name, (filename, media_type, content) in files.items():
        parts.append(
            (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
             f'filename="{filename}"\r\nContent-Type: {media_type}\r\n\r\n').encode()
            + content + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post(base_url: str, path: str, body: bytes, content_type: str) -> tuple[int, str]:
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    try:
        connection.request("POST", path, body=body, headers={
            "Content-Type": content_type, "Accept-Language": "en",
        })
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, response.getheader("Location") or text[:300]
    finally:
        connection.close()


def run_at_once(jobs) -> list:
    """Run the callables in threads released together; their results (or exceptions)."""
    results: list = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(index, job):
        barrier.wait()
        try:
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - reported by the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT + 30)
    assert not any(thread.is_alive() for thread in threads), "requests still running"
    return results


def _form(n: int, email: str, cv: bytes, letter: bytes):
    return multipart(
        {"first_name": f"Candidate{n}", "last_name": "Exemple", "email": email,
         "phone": "06 12 34 56 78", "letter_text": "", "message": f"Message {n}",
         "consent": "y", "website": ""},
        {"cv": (f"cv-{n}.pdf", "application/pdf", cv),
         "letter": (f"lettre-{n}.docx", "application/octet-stream", letter)},
    )


def test_submission_fifty_at_once_are_all_recorded_with_their_emails(app, server):
    offer = make_offer(app, subject_line="Candidature concurrence")
    cv, letter = make_pdf(), make_docx()
    forms = [_form(n, f"candidate{n}@example.com", cv, letter) for n in range(THREADS)]
    jobs = [lambda body=body, kind=kind: post(server, offer.apply_url, body, kind)
            for body, kind in forms]

    results = run_at_once(jobs)

    errors = [r for r in results if not (isinstance(r, tuple) and r[0] == 302)]
    assert not errors, errors[:5]
    assert all(r[1].endswith(f"{offer.apply_url}/merci") for r in results)
    assert counts(app) == {"candidate": THREADS, "application": THREADS,
                           "submission": THREADS, "document": 2 * THREADS,
                           "message": 2 * THREADS, "message_attachment": 2 * THREADS,
                           "event": THREADS}
    with app.app_context():
        subjects = set(db.session.scalars(
            sa.select(Message.subject).where(Message.kind == "application.notification")))
        assert subjects == {f"Candidature concurrence – Candidate{n} EXEMPLE"
                            for n in range(THREADS)}
        references = set(db.session.scalars(sa.select(Application.reference)))
        assert len(references) == THREADS


def test_submission_same_email_at_once_becomes_versions_of_one_application(app, server):
    offer = make_offer(app)
    cv, letter = make_pdf(), make_docx()
    n = 10
    forms = [_form(i, "same.person@example.com", cv, letter) for i in range(n)]
    jobs = [lambda body=body, kind=kind: post(server, offer.apply_url, body, kind)
            for body, kind in forms]

    results = run_at_once(jobs)

    errors = [r for r in results if not (isinstance(r, tuple) and r[0] == 302)]
    assert not errors, errors[:5]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Candidate)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Application)) == 1
        versions = sorted(db.session.scalars(sa.select(Submission.version)))
        assert versions == list(range(1, n + 1))
        kinds = list(db.session.scalars(sa.select(Message.kind)))
        assert kinds.count("application.acknowledgement") == 1
        assert kinds.count("application.acknowledgement_update") == n - 1
        assert kinds.count("application.notification") == n
