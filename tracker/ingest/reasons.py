"""Why an inbound mail is where it is: the codes stored in ``InboundMail.reason`` and their
words for people (``label(code)``; the triage pages show them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Triage: a person decides.
NEAR_MISS = "near_miss"  # the subject is close to an offer's line, not close enough
AMBIGUOUS = "ambiguous"  # two offers (or more) possible
CLOSED = "closed"  # the offer it names was closed when the mail arrived
PAST_DEADLINE = "past_deadline"  # the offer it names was past its deadline when it arrived
NO_SUBJECT_MATCH = "no_subject_match"  # no offer's subject line is anywhere near
NO_ORGANISATION = "no_organisation"  # nothing tells which organisation it is for
NO_ATTACHMENT = "no_attachment"  # no document attached
INVALID_ATTACHMENT = "invalid_attachment"  # a file refused (damaged, too large, not a document)
UNREADABLE_ATTACHMENT = "unreadable_attachment"  # winmail.dat: Outlook's own format
NO_SENDER = "no_sender"  # no usable sender address
FROM_ORGANISATION = "from_organisation"  # written by the organisation's own people
TOO_LARGE = "too_large"  # over INGEST_MAX_BYTES: only the headers were read
# Ignored: never an application.
AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"
# The rest.
ERROR = "error"  # processing failed (the traceback is kept)
MATCHED = "matched"  # made an application by its subject
MATCHED_BY_ADDRESS = "matched_by_address"  # made an application by plus addressing
ATTACHED = "attached"  # made an application from triage

LABELS = {
    NEAR_MISS: _l("Subject close to an offer's, not close enough"),
    AMBIGUOUS: _l("Several offers possible"),
    CLOSED: _l("Offer closed when the mail arrived"),
    PAST_DEADLINE: _l("Arrived after the offer's deadline"),
    NO_SUBJECT_MATCH: _l("Subject matches no offer"),
    NO_ORGANISATION: _l("No organisation found for this mail"),
    NO_ATTACHMENT: _l("No document attached"),
    INVALID_ATTACHMENT: _l("An attachment was refused"),
    UNREADABLE_ATTACHMENT: _l("Attachments in Outlook's winmail.dat format, unreadable"),
    NO_SENDER: _l("No sender address"),
    FROM_ORGANISATION: _l("Sent by the organisation itself"),
    TOO_LARGE: _l("Email too large: only its headers were read"),
    AUTO_REPLY: _l("Automatic reply"),
    BOUNCE: _l("Delivery failure notice"),
    ERROR: _l("Processing failed"),
    MATCHED: _l("Matched by its subject"),
    MATCHED_BY_ADDRESS: _l("Matched by the address it was sent to"),
    ATTACHED: _l("Attached to an offer from triage"),
}


def label(code: str) -> str:
    """The reason in words (the current language); an unknown code is shown as it is."""
    found = LABELS.get(code)
    return str(found) if found is not None else code
