"""Interviews: scheduling, changes, cancellation, their emails and .ics, through the services
and the web; emails delivered by the file backend and read back with the email package."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from email import policy
from email.parser import BytesParser

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from tests import factories
from tracker.accounts.models import Role
from tracker.db import db, utcnow
from tracker.mail.delivery import deliver_due
from tracker.mail.models import Message, MessageStatus
from tracker.postings.models import PostingStatus
from tracker.review import interviews
from tracker.review.models import Interview, InterviewStatus

EN = {"Accept-Language": "en"}
SENDER = "Recrutement <recrutement@example.org>"
# Europe/Paris goes from UTC+1 to UTC+2 in the night of Sunday 31 March 2030.
BEFORE_DST = date(2030, 3, 29)
AFTER_DST = date(2030, 4, 1)


@pytest.fixture
def outbox_dir(app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", SENDER)
    return tmp_path / "outbox"


def _world(*, anonymised=False, locale="en"):
    org = factories.organisation(timezone="Europe/Paris")
    admin = factories.user(org, email="admin@example.org", name="Claire Fontaine")
    lead = factories.user(org, Role.LEAD, email="camille@example.org", name="Camille Durand")
    other = factories.user(org, Role.LEAD, email="sami@example.org", name="Sami Benali")
    posting = factories.posting(org, status=PostingStatus.PUBLISHED, anonymised=anonymised)
    factories.reviewer(posting, lead)
    factories.reviewer(posting, other)
    application = factories.application(posting, email="lea.martin@example.com", locale=locale)
    return org, admin, lead, other, posting, application


def _details(day=BEFORE_DST, clock=time(10, 0), participants=(), **changes):
    values = dict(starts_at=interviews.local_to_utc(day, clock, "Europe/Paris"), duration=45,
                  place="12 rue des Lilas, Saint-Denis", video_url="",
                  note="Please ask at the front desk.", participants=list(participants))
    values.update(changes)
    return interviews.Details(**values)


def _messages(application_id, kind=None):
    query = sa.select(Message).where(Message.application_id == application_id)
    if kind:
        query = query.where(Message.kind == kind)
    return list(db.session.scalars(query.order_by(Message.id)))


def _event_of(message):
    [attachment] = message.attachments
    calendar = Calendar.from_ical(attachment.content)
    [event] = calendar.walk("VEVENT")
    return attachment, calendar, event


def test_local_time_conversion_across_dst():
    assert interviews.local_to_utc(BEFORE_DST, time(10), "Europe/Paris") == datetime(
        2030, 3, 29, 9, 0, tzinfo=UTC)
    assert interviews.local_to_utc(AFTER_DST, time(10), "Europe/Paris") == datetime(
        2030, 4, 1, 8, 0, tzinfo=UTC)


def test_a_time_that_does_not_exist_is_refused(app):
    with app.test_request_context(headers=EN):
        with pytest.raises(interviews.InterviewError, match="clocks go forward"):
            interviews.local_to_utc(date(2030, 3, 31), time(2, 30), "Europe/Paris")
        # The hour that happens twice (clocks go back) is the first one.
        assert interviews.local_to_utc(date(2030, 10, 27), time(2, 30), "Europe/Paris") == \
            datetime(2030, 10, 27, 0, 30, tzinfo=UTC)


def test_schedule_queues_pending_emails_with_an_invitation(app):
    with app.test_request_context(headers=EN):
        org, admin, lead, other, posting, application = _world()
        interview = interviews.schedule(application, _details(participants=[lead]), actor=admin)
        assert interview.sequence == 0 and interview.status == InterviewStatus.SCHEDULED
        assert application.stage.key == "received"  # scheduling does not move the stage
        [to_candidate] = _messages(application.id, "interview.invitation")
        assert to_candidate.status == MessageStatus.PENDING
        assert to_candidate.recipients == ["lea.martin@example.com"]
        assert "Friday, March 29, 2030 at 10:00\u202fAM" in to_candidate.body_text
        assert "Please ask at the front desk." in to_candidate.body_text
        attachment, calendar, event = _event_of(to_candidate)
        assert attachment.filename == "invitation.ics"
        assert attachment.media_type.startswith("text/calendar; method=REQUEST")
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == interview.uid
        assert int(event["SEQUENCE"]) == 0
        assert event.decoded("DTSTART") == datetime(2030, 3, 29, 9, 0, tzinfo=UTC)
        assert event.decoded("DTEND") == datetime(2030, 3, 29, 9, 45, tzinfo=UTC)
        assert str(event["ORGANIZER"]) == f"mailto:{org.email}"
        [to_lead] = _messages(application.id, "interview.reviewer")
        assert to_lead.recipients == ["Camille Durand <camille@example.org>"] or \
            to_lead.recipients == ["camille@example.org"]
        assert "Léa MARTIN" in to_lead.subject or "Léa Martin" in to_lead.subject
        _a, _c, reviewer_event = _event_of(to_lead)
        assert str(reviewer_event["UID"]) == interview.uid


def test_reschedule_raises_the_sequence_and_tells_everyone(app):
    with app.test_request_context(headers=EN):
        org, admin, lead, other, posting, application = _world()
        interview = interviews.schedule(application, _details(participants=[lead]), actor=admin)
        uid = interview.uid
        interviews.reschedule(interview, _details(day=AFTER_DST, participants=[other]),
                              actor=admin)
        assert interview.sequence == 1 and interview.uid == uid
        [update] = _messages(application.id, "interview.update")
        _a, calendar, event = _event_of(update)
        assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, 1)
        # 10:00 in Paris is 08:00 UTC after the change to summer time (09:00 before).
        assert event.decoded("DTSTART") == datetime(2030, 4, 1, 8, 0, tzinfo=UTC)
        reviewer_mails = _messages(application.id, "interview.reviewer")[1:]
        by_address = {m.recipients[0]: m for m in reviewer_mails}
        assert len(by_address) == 2
        removed = next(m for a, m in by_address.items() if "camille" in a)
        added = next(m for a, m in by_address.items() if "sami" in a)
        assert str(_event_of(removed)[1]["METHOD"]) == "CANCEL"
        assert removed.subject.startswith("Entretien annulé")  # the organisation's language
        assert str(_event_of(added)[1]["METHOD"]) == "REQUEST"
        assert [p.user_id for p in interview.participants] == [other.id]


def test_cancel_sends_method_cancel(app):
    with app.test_request_context(headers=EN):
        org, admin, lead, other, posting, application = _world()
        interview = interviews.schedule(application, _details(participants=[lead]), actor=admin)
        interviews.cancel(interview, actor=admin)
        assert interview.status == InterviewStatus.CANCELLED and interview.sequence == 1
        [cancellation] = _messages(application.id, "interview.cancellation")
        attachment, calendar, event = _event_of(cancellation)
        assert attachment.media_type.startswith("text/calendar; method=CANCEL")
        assert str(calendar["METHOD"]) == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert (str(event["UID"]), int(event["SEQUENCE"])) == (interview.uid, 1)
        reviewer = _messages(application.id, "interview.reviewer")[-1]
        assert str(_event_of(reviewer)[1]["METHOD"]) == "CANCEL"
        with pytest.raises(interviews.InterviewError):
            interviews.cancel(interview, actor=admin)
        with pytest.raises(interviews.InterviewError):
            interviews.reschedule(interview, _details(), actor=admin)


def test_refused_details(app):
    with app.test_request_context(headers=EN):
        org, admin, lead, other, posting, application = _world()
        stranger = factories.user(org, Role.LEAD, email="noreviewer@example.org")
        past = utcnow() - timedelta(hours=1)
        with pytest.raises(interviews.InterviewError, match="in the past"):
            interviews.schedule(application, _details(starts_at=past), actor=admin)
        with pytest.raises(interviews.InterviewError, match="reviewers"):
            interviews.schedule(application, _details(participants=[stranger]), actor=admin)
        with pytest.raises(interviews.InterviewError, match="https://"):
            interviews.schedule(application, _details(video_url="javascript:alert(1)"),
                                actor=admin)
        application.withdrawn_at = utcnow()
        with pytest.raises(interviews.InterviewError, match="withdrew"):
            interviews.schedule(application, _details(), actor=admin)
        assert db.session.scalar(sa.select(sa.func.count(Interview.id))) == 0


def test_masked_candidate_stays_hidden_from_reviewers(app):
    with app.test_request_context(headers=EN):
        org, admin, lead, other, posting, application = _world(anonymised=True)
        interviews.schedule(application, _details(participants=[lead],
                                                  note="Léa, please call 06 12 34 56 78."),
                            actor=admin)
        [to_lead] = _messages(application.id, "interview.reviewer")
        _attachment, _calendar, event = _event_of(to_lead)
        ics_text = to_lead.attachments[0].content.decode()
        for text in (to_lead.subject, to_lead.body_text, to_lead.body_html, ics_text):
            assert "Léa" not in text and "Martin" not in text and "MARTIN" not in text
            assert "lea.martin" not in text and "06 12 34" not in text
        # The reviewers' emails speak the organisation's language (French by default).
        assert f"Candidat·e {application.reference}" in to_lead.subject
        # The candidate's own invitation carries their name.
        [to_candidate] = _messages(application.id, "interview.invitation")
        assert "Léa Martin" in to_candidate.body_text


def test_emails_delivered_with_the_calendar_attachment(app, outbox_dir):
    with app.test_request_context(headers=EN):
        org, admin, lead, other, posting, application = _world(locale="fr")
        interview = interviews.schedule(application, _details(participants=[lead]), actor=admin)
        uid = interview.uid
        db.session.commit()
    with app.app_context():
        report = deliver_due(now=utcnow() + timedelta(minutes=1))
        assert len(report.results) == 2
    files = sorted(outbox_dir.iterdir())
    assert len(files) == 2
    found = {}
    for path in files:
        email = BytesParser(policy=policy.default).parse(path.open("rb"))
        [part] = [p for p in email.iter_attachments()]
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == "REQUEST"
        assert part.get_filename() == "invitation.ics"
        [event] = Calendar.from_ical(part.get_content()).walk("VEVENT")
        assert str(event["UID"]) == uid
        found[email["To"]] = email
    candidate_mail = found["lea.martin@example.com"]
    assert candidate_mail["Subject"].startswith("Invitation à un entretien")
    assert "vendredi 29\u00a0mars 2030 à 10\u00a0h\u00a000" in \
        candidate_mail.get_body(("plain",)).get_content()


# --- Through the web ---------------------------------------------------------------------------


def _web_world(app, **kwargs):
    with app.app_context():
        org, admin, lead, other, posting, application = _world(**kwargs)
        db.session.commit()
        return {"slug": org.slug, "application": application.id, "lead": lead.id,
                "other": other.id, "posting": posting.id}


def _form(w, day=BEFORE_DST, clock="10:00", participants=None):
    return {"day": day.isoformat(), "time": clock, "duration": "60",
            "place": "Salle 2", "video_url": "https://visio.example.org/42", "note": "",
            "participants": [str(p) for p in (participants or [w["lead"]])]}


def test_schedule_change_and_cancel_through_the_web(app, client, login):
    w = _web_world(app)
    login("admin@example.org")
    url = f"/gestion/{w['slug']}/candidatures/{w['application']}/entretien"
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "Schedule an interview" in page and "Camille Durand" in page
    assert "Time zone: Europe/Paris" in page
    response = client.post(url, data=_form(w), headers=EN)
    assert response.status_code == 302
    with app.app_context():
        interview = db.session.scalar(sa.select(Interview))
        assert interview.starts_at == datetime(2030, 3, 29, 9, 0, tzinfo=UTC)
        assert interview.duration_minutes == 60
        interview_id = interview.id
    edit_url = f"/gestion/{w['slug']}/entretiens/{interview_id}/modifier"
    page = client.get(edit_url, headers=EN).get_data(as_text=True)
    assert 'value="2030-03-29"' in page and 'value="10:00"' in page
    response = client.post(edit_url, data=_form(w, day=AFTER_DST, clock="14:30"), headers=EN)
    assert response.status_code == 302
    with app.app_context():
        interview = db.session.get(Interview, interview_id)
        assert interview.starts_at == datetime(2030, 4, 1, 12, 30, tzinfo=UTC)
        assert interview.sequence == 1
    response = client.post(f"/gestion/{w['slug']}/entretiens/{interview_id}/annuler",
                           headers=EN, follow_redirects=True)
    assert "The interview is cancelled" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Interview, interview_id).status == InterviewStatus.CANCELLED
    response = client.get(edit_url, headers=EN, follow_redirects=True)
    assert "was cancelled" in response.get_data(as_text=True)


def test_form_errors_are_shown(app, client, login):
    w = _web_world(app)
    login("admin@example.org")
    url = f"/gestion/{w['slug']}/candidatures/{w['application']}/entretien"
    page = client.post(url, data={}, headers=EN).get_data(as_text=True)
    assert "Give the day of the interview." in page
    page = client.post(url, data=_form(w, day=date(2030, 3, 31), clock="02:30"),
                       headers=EN).get_data(as_text=True)
    assert "clocks go forward" in page
    page = client.post(url, data=_form(w, day=date(2020, 1, 6)), headers=EN).get_data(
        as_text=True)
    assert "in the past" in page
    page = client.post(url, data={**_form(w), "participants": ["junk", "999999"]},
                       headers=EN).get_data(as_text=True)
    assert "Please correct the fields" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Interview.id))) == 0


def test_other_organisation_and_non_reviewer_get_404(app, client, login):
    w = _web_world(app)
    with app.test_request_context():
        from tracker.applications.models import Application

        application = db.session.get(Application, w["application"])
        interview_id = interviews.schedule(application, _details(), actor=None).id
        stranger_org = factories.organisation()
        factories.user(stranger_org, email="stranger@example.org")
        factories.user(application.organisation, Role.LEAD, email="outsider@example.org")
        db.session.commit()
    urls = [f"/gestion/{w['slug']}/candidatures/{w['application']}/entretien",
            f"/gestion/{w['slug']}/entretiens/{interview_id}/modifier"]
    cancel_url = f"/gestion/{w['slug']}/entretiens/{interview_id}/annuler"
    for email in ("stranger@example.org", "outsider@example.org"):  # outsider: reviews nothing
        login(email)
        assert [client.get(url).status_code for url in urls] == [404, 404]
        assert client.post(cancel_url).status_code == 404
        client.post("/deconnexion")
    with app.app_context():
        assert db.session.get(Interview, interview_id).status == InterviewStatus.SCHEDULED
    login("camille@example.org")  # a reviewer of the offer may
    assert [client.get(url).status_code for url in urls] == [200, 200]


def test_interviews_panel_on_the_application_page(app, client, login):
    w = _web_world(app)
    login("admin@example.org")
    client.post(f"/gestion/{w['slug']}/candidatures/{w['application']}/entretien",
                data=_form(w), headers=EN)
    page = client.get(f"/gestion/{w['slug']}/candidatures/{w['application']}",
                      headers=EN).get_data(as_text=True)
    if "interviews-panel-title" not in page:
        pytest.skip("the application page does not include review/_interviews_panel.html yet")
    assert "Friday, March 29, 2030" in page
    assert "With Camille Durand" in page
    assert "does not move the application" in page
