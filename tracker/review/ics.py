"""iCalendar invitations (RFC 5545 / iTIP RFC 5546) for interviews, built with ``icalendar``.

One VEVENT per interview, identified by the interview's stable ``uid``; each change raises
``sequence`` so that calendars replace the earlier version (METHOD:REQUEST), and a
cancellation is METHOD:CANCEL with STATUS:CANCELLED. Times are written in UTC (``...Z``),
which every calendar reads correctly whatever its own time zone, across DST changes too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//tracker//Interviews//EN"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
FILENAME = "invitation.ics"


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass
class Invitation:
    uid: str
    sequence: int
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    organizer: Person | None = None
    attendees: list[Person] = field(default_factory=list)
    cancelled: bool = False
    stamp: datetime | None = None


def media_type(method: str) -> str:
    return f"text/calendar; method={method}; charset=utf-8"


def _address(person: Person, *, attendee: bool) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = vText(person.name)
    if attendee:
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("FALSE")
    return address


def build(invitation: Invitation) -> bytes:
    """The .ics file of ``invitation`` (METHOD:REQUEST, or CANCEL when cancelled)."""
    method = CANCEL if invitation.cancelled else REQUEST
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", invitation.uid)
    event.add("sequence", invitation.sequence)
    event.add("dtstamp", (invitation.stamp or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", invitation.starts_at.astimezone(UTC))
    event.add("dtend", invitation.ends_at.astimezone(UTC))
    event.add("summary", invitation.summary)
    if invitation.description:
        event.add("description", invitation.description)
    if invitation.location:
        event.add("location", invitation.location)
    if invitation.url:
        event.add("url", invitation.url)
    if invitation.organizer is not None and invitation.organizer.email:
        event.add("organizer", _address(invitation.organizer, attendee=False))
    for person in invitation.attendees:
        if person.email:
            event.add("attendee", _address(person, attendee=True), encode=0)
    event.add("status", "CANCELLED" if invitation.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical()
