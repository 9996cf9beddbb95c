"""The .ics files of interviews, parsed back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from tracker.review import ics


def _invitation(**changes):
    values = dict(
        uid="interview-1@example.org", sequence=0,
        starts_at=datetime(2030, 3, 30, 8, 0, tzinfo=UTC),
        ends_at=datetime(2030, 3, 30, 8, 45, tzinfo=UTC),
        summary="Entretien : Chargé·e de mission", description="Merci d’apporter une pièce "
        "d’identité.", location="12 rue des Lilas, Saint-Denis",
        url="https://visio.example.org/42",
        organizer=ics.Person("Villes au carré", "contact@example.org"),
        attendees=[ics.Person("Léa Martin", "lea.martin@example.com"),
                   ics.Person("Camille Durand", "camille@example.org")],
    )
    values.update(changes)
    return ics.Invitation(**values)


def _event(content: bytes):
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_request_has_every_field():
    calendar, event = _event(ics.build(_invitation()))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "interview-1@example.org"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == datetime(2030, 3, 30, 8, 0, tzinfo=UTC)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Entretien : Chargé·e de mission"
    assert str(event["LOCATION"]) == "12 rue des Lilas, Saint-Denis"
    assert str(event["URL"]) == "https://visio.example.org/42"
    assert "pièce" in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == "mailto:contact@example.org"
    assert event["ORGANIZER"].params["CN"] == "Villes au carré"
    assert [str(a) for a in event["ATTENDEE"]] == ["mailto:lea.martin@example.com",
                                                   "mailto:camille@example.org"]
    assert str(event["STATUS"]) == "CONFIRMED"
    assert b"DTSTART:20300330T080000Z" in ics.build(_invitation())


def test_cancel():
    calendar, event = _event(ics.build(_invitation(sequence=2, cancelled=True)))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 2
    assert ics.media_type(ics.CANCEL).startswith("text/calendar; method=CANCEL")


def test_a_single_attendee_and_no_optional_fields():
    _calendar, event = _event(ics.build(_invitation(
        attendees=[ics.Person("", "lea@example.com")], location="", url="", description="")))
    assert str(event["ATTENDEE"]) == "mailto:lea@example.com"
    assert "LOCATION" not in event and "URL" not in event and "DESCRIPTION" not in event
