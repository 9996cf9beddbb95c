"""THE authorisation walk: every back-office URL, every method, every kind of visitor.

A back-office endpoint is one whose view carries ``back_office`` (set by ``org_required``) or
whose rule starts with ``/gestion``. The walk fills URL parameters with objects of
organisation A and checks that:

- an anonymous visitor is sent to the login page (302, with ``next``), never served;
- a member of organisation B gets 404 (or 403) on A's URLs, for GET and POST alike, and 404
  when B's own back office is asked for one of A's objects;
- a hiring lead of A gets 403 on admin-only endpoints;
- an admin of A is let in (no 403/404/500), so the walk proves something.

New endpoints are covered automatically. One with a URL parameter that the walk does not know
fails loudly: add the parameter to ``FILLERS`` below, with an object of organisation A.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from werkzeug.routing import Rule

from tests import factories
from tracker.accounts.models import Role
from tracker.applications.links import make_token
from tracker.db import db
from tracker.postings.models import PostingStatus

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Endpoints that must be in the walk: if one disappears from it, the walk is broken.
KNOWN_BACK_OFFICE = {
    "accounts.home", "accounts.change_password", "accounts.members", "accounts.member_role",
    "accounts.member_remove", "accounts.organisation_settings", "postings.index",
    "applications_admin.index", "applications_admin.show", "applications_admin.document",
    "applications_admin.erase",
}
KNOWN_ADMIN_ONLY = {
    "accounts.members", "accounts.member_role", "accounts.member_remove",
    "accounts.organisation_settings", "applications_admin.erase", "mail.outbox",
}


@dataclass
class World:
    """Organisation A (admin, lead, another member, an offer) and organisation B (admin)."""

    org_a: str
    org_b: str
    admin_a: str
    lead_a: str
    admin_b: str
    posting_id: int
    posting_slug: str
    contact_id: int
    member_id: int
    # An application of organisation A (with a document) and its candidate's private link.
    application_id: int = 1
    document_id: int = 1
    token: str = "x"
    # Review objects of organisation A (the lead above reviews the offer; this one does not).
    stage_id: int = 1
    criterion_id: int = 1
    interview_id: int = 1
    comment_id: int = 1
    message_id: int = 1
    idle_lead_a: str = ""
    inbound_id: int = 1  # an email of organisation A waiting in triage (issue 6)


def build_world(app: Flask) -> World:
    with app.app_context():
        org_a = factories.organisation()
        org_b = factories.organisation()
        admin_a = factories.user(org_a, Role.ADMIN)
        lead_a = factories.user(org_a, Role.LEAD)
        member = factories.user(org_a, Role.LEAD)
        admin_b = factories.user(org_b, Role.ADMIN)
        factories.posting(org_b, status=PostingStatus.PUBLISHED)  # B has data of its own
        posting = factories.posting(org_a, status=PostingStatus.PUBLISHED, actor=admin_a)
        application = factories.application(posting)
        factories.reviewer(posting, lead_a)
        idle_lead = factories.user(org_a, Role.LEAD)
        review = _review_objects(posting, application, admin_a)
        inbound_id = _inbound_mail(org_a)
        db.session.commit()
        return World(
            org_a=org_a.slug, org_b=org_b.slug, admin_a=admin_a.email, lead_a=lead_a.email,
            admin_b=admin_b.email, posting_id=posting.id, posting_slug=posting.slug,
            contact_id=posting.contacts[0].id, member_id=member.id,
            application_id=application.id,
            document_id=application.submissions[0].documents[0].id,
            token=make_token(application), idle_lead_a=idle_lead.email, **review,
            inbound_id=inbound_id,
        )


def _review_objects(posting, application, admin) -> dict:
    """A stage, a criterion, an interview, a comment and a draft email of organisation A."""
    from tracker.mail.models import MessageStatus
    from tracker.mail.services import queue_message
    from tracker.review.models import Comment, Criterion, Interview
    from tracker.review.stages import pipeline

    stage = pipeline(posting.organisation_id)[1]
    criterion = db.session.scalars(
        db.select(Criterion).where(Criterion.posting_id == posting.id)).first()
    interview = Interview(organisation_id=posting.organisation_id,
                          application_id=application.id, starts_at=factories.future(7),
                          uid=f"walk-{application.id}@example.org", place="Salle 2")
    comment = Comment(application_id=application.id, author_id=admin.id, body="Solide.")
    db.session.add_all([interview, comment])
    message = queue_message(organisation=posting.organisation, kind="answer.not_retained",
                            recipients=[application.candidate.email], subject="Réponse",
                            body_text="Bonjour", posting=posting, application=application,
                            status=MessageStatus.DRAFT)
    db.session.flush()
    return {"stage_id": stage.id, "criterion_id": criterion.id, "interview_id": interview.id,
            "comment_id": comment.id, "message_id": message.id}


def _inbound_mail(organisation) -> int:
    """An email received for organisation A, waiting in triage."""
    from tracker.db import utcnow
    from tracker.ingest.models import InboundMail, InboundStatus

    raw = (f"From: Lea Martin <lea.martin@example.com>\r\nTo: {organisation.email}\r\n"
           f"Subject: Candidature\r\nMessage-ID: <walk-{organisation.id}@example.com>\r\n"
           f"\r\nBonjour\r\n").encode()
    mail = InboundMail(organisation_id=organisation.id, message_key=f"<walk-{organisation.id}"
                       f"@example.com>", sha256="0" * 64, raw=raw, size=len(raw),
                       received_at=utcnow(), status=InboundStatus.TRIAGE, reason="near_miss",
                       subject="Candidature", from_address="lea.martin@example.com",
                       to_addresses=[], candidates=[])
    db.session.add(mail)
    db.session.flush()
    return mail.id


# URL parameter -> its value in organisation A. Add new parameters here.
FILLERS = {
    "org_slug": lambda w: w.org_a,
    "posting_id": lambda w: w.posting_id,
    "slug": lambda w: w.posting_slug,
    "contact_id": lambda w: w.contact_id,
    "user_id": lambda w: w.member_id,
    "code": lambda w: "en",
    "filename": lambda w: "css/app.css",
    "application_id": lambda w: w.application_id,
    "document_id": lambda w: w.document_id,
    "token": lambda w: w.token,  # the candidate's private link (public, not back office)
    "stage_id": lambda w: w.stage_id,
    "criterion_id": lambda w: w.criterion_id,
    "interview_id": lambda w: w.interview_id,
    "comment_id": lambda w: w.comment_id,
    "message_id": lambda w: w.message_id,
    "inbound_id": lambda w: w.inbound_id,
    "template_kind": lambda w: "accuse-de-reception",
    "template_lang": lambda w: "fr",
}
# URL parameters that name no object of an organisation (a kind of email, a language): every
# organisation has them, so B's back office answers for them as for its own URLs.
NOT_OBJECTS = {"template_kind", "template_lang"}
# Parameters naming something that belongs to one offer: a lead who does not review the offer
# must get 404 on every URL carrying one of them.
OFFER_OBJECTS = {"posting_id", "application_id", "document_id", "criterion_id", "interview_id",
                 "comment_id", "message_id"}


def url_values(rule: Rule, world: World) -> dict:
    unknown = sorted(rule.arguments - FILLERS.keys())
    if unknown:
        pytest.fail(
            f"The authorisation walk does not know how to fill {', '.join(unknown)} in "
            f"{rule.endpoint} ({rule.rule}). Add it to FILLERS in tests/core/test_authorisation.py "
            f"with an object of organisation A.",
            pytrace=False,
        )
    return {name: FILLERS[name](world) for name in rule.arguments}


def build_url(rule: Rule, world: World, **overrides) -> str:
    values = {**url_values(rule, world), **overrides}
    return rule.build(values, append_unknown=False)[1]


def rule_methods(rule: Rule) -> list[str]:
    return [m for m in METHODS if m in rule.methods]


def back_office_rules(app: Flask) -> list[Rule]:
    rules = [
        rule for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "back_office", False)
        or rule.rule.startswith("/gestion")
    ]
    return sorted(rules, key=lambda r: (r.rule, r.endpoint))


def org_scoped(rule: Rule) -> bool:
    return "org_slug" in rule.arguments


def admin_only(app: Flask, rule: Rule) -> bool:
    return getattr(app.view_functions[rule.endpoint], "required_role", None) == Role.ADMIN


def logged_in(app: Flask, email: str):
    client = app.test_client()
    response = client.post("/connexion", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 302, f"could not log {email} in"
    return client


def call(client, method: str, url: str):
    return client.open(url, method=method, data={})


def report(failures: list[str], what: str) -> None:
    assert not failures, f"{what}:\n  " + "\n  ".join(failures)


# --- The walk itself -------------------------------------------------------------------------


def test_walk_covers_the_back_office(app):
    rules = back_office_rules(app)
    endpoints = {rule.endpoint for rule in rules}
    assert len(rules) > 0
    assert endpoints >= KNOWN_BACK_OFFICE, KNOWN_BACK_OFFICE - endpoints
    assert {r.endpoint for r in rules if admin_only(app, r)} >= KNOWN_ADMIN_ONLY
    # Every organisation URL goes through org_required (which loads and checks the membership).
    unguarded = [
        f"{r.endpoint} ({r.rule})" for r in rules
        if org_scoped(r) and not getattr(app.view_functions[r.endpoint], "back_office", False)
    ]
    report(unguarded, "Organisation URLs whose view is not wrapped by org_required")


def test_walk_fails_on_an_unknown_url_parameter(app):
    rule = Rule("/gestion/<org_slug>/widgets/<int:widget_id>", endpoint="widgets.show")
    from werkzeug.routing import Map

    Map([rule])
    world = World("a", "b", "", "", "", 1, "x", 1, 1)
    with pytest.raises(pytest.fail.Exception, match="widget_id in widgets.show"):
        url_values(rule, world)


def test_walk_can_fill_every_back_office_url(app):
    world = World("a", "b", "", "", "", 1, "x", 1, 1)
    for rule in back_office_rules(app):
        assert build_url(rule, world).startswith("/")


def test_back_office_anonymous_is_sent_to_login(app):
    world = build_world(app)
    client = app.test_client()
    failures = []
    for rule in back_office_rules(app):
        url = build_url(rule, world)
        for method in rule_methods(rule):
            response = call(client, method, url)
            location = urlsplit(response.headers.get("Location", ""))
            next_url = parse_qs(location.query).get("next", [None])[0]
            if (response.status_code, location.path, next_url) != (302, "/connexion", url):
                failures.append(f"{method} {url} ({rule.endpoint}): {response.status_code} "
                                f"-> {response.headers.get('Location')}")
    report(failures, "Back-office URLs that do not send an anonymous visitor to the login page")


def test_back_office_other_organisation_gets_404(app):
    world = build_world(app)
    outsider = logged_in(app, world.admin_b)
    failures = []
    checked = 0
    for rule in back_office_rules(app):
        if not org_scoped(rule):
            continue  # /gestion/ and /gestion/mot-de-passe are about the user, not an organisation
        url = build_url(rule, world)
        for method in rule_methods(rule):
            checked += 1
            status = call(outsider, method, url).status_code
            if status not in (403, 404):
                failures.append(f"{method} {url} ({rule.endpoint}): {status}")
    assert checked > 0
    report(failures, "Back-office URLs of organisation A served to an admin of organisation B")


def test_back_office_objects_of_another_organisation_are_404(app):
    """B's own back office, asked for one of A's objects (a posting id, a user id...)."""
    world = build_world(app)
    outsider = logged_in(app, world.admin_b)
    failures = []
    checked = 0
    for rule in back_office_rules(app):
        if not org_scoped(rule) or rule.arguments - NOT_OBJECTS == {"org_slug"}:
            continue
        url = build_url(rule, world, org_slug=world.org_b)
        for method in rule_methods(rule):
            checked += 1
            status = call(outsider, method, url).status_code
            if status != 404:
                failures.append(f"{method} {url} ({rule.endpoint}): {status}")
    assert checked > 0
    report(failures, "Objects of organisation A reachable through organisation B's back office")


def test_back_office_lead_gets_403_on_admin_only_endpoints(app):
    world = build_world(app)
    lead = logged_in(app, world.lead_a)
    failures = []
    checked = 0
    for rule in back_office_rules(app):
        if not admin_only(app, rule):
            continue
        url = build_url(rule, world)
        for method in rule_methods(rule):
            checked += 1
            status = call(lead, method, url).status_code
            if status != 403:
                failures.append(f"{method} {url} ({rule.endpoint}): {status}")
    assert checked >= len(KNOWN_ADMIN_ONLY)
    report(failures, "Admin-only URLs that do not answer 403 to a hiring lead")


def test_back_office_lead_reads_what_is_not_admin_only(app):
    world = build_world(app)
    lead = logged_in(app, world.lead_a)
    failures = []
    for rule in back_office_rules(app):
        if admin_only(app, rule) or "GET" not in rule.methods:
            continue
        url = build_url(rule, world)
        status = lead.get(url).status_code
        if status in (403, 404) or status >= 500:
            failures.append(f"GET {url} ({rule.endpoint}): {status}")
    report(failures, "Back-office pages a hiring lead of the organisation cannot open")


def test_back_office_admin_is_let_in(app):
    """The other checks mean something only if a member does get through."""
    failures = []
    world = build_world(app)
    admin = logged_in(app, world.admin_a)
    for rule in back_office_rules(app):
        if "GET" not in rule.methods:
            continue
        url = build_url(rule, world)
        status = admin.get(url).status_code
        if status in (403, 404) or status >= 500:
            failures.append(f"GET {url} ({rule.endpoint}): {status}")
    for rule in back_office_rules(app):
        if "POST" not in rule.methods:
            continue
        # A POST may change things (remove a member...): each gets a world of its own.
        world = build_world(app)
        admin = logged_in(app, world.admin_a)
        url = build_url(rule, world)
        status = admin.post(url, data={}).status_code
        if status in (403, 404) or status >= 500:
            failures.append(f"POST {url} ({rule.endpoint}): {status}")
    report(failures, "Back-office URLs refused to an admin of the organisation")


def test_back_office_lead_sees_only_the_offers_they_review(app):
    """A hiring lead of A who does not review the offer: every URL about it is a 404."""
    world = build_world(app)
    idle = logged_in(app, world.idle_lead_a)
    failures = []
    checked = 0
    for rule in back_office_rules(app):
        if admin_only(app, rule) or not (rule.arguments & OFFER_OBJECTS):
            continue
        url = build_url(rule, world)
        for method in rule_methods(rule):
            checked += 1
            status = call(idle, method, url).status_code
            if status != 404:
                failures.append(f"{method} {url} ({rule.endpoint}): {status}")
    assert checked > 0
    report(failures, "Offer URLs served to a hiring lead who does not review the offer")
