"""Every model of every domain, imported once so the metadata is complete."""

from tracker.accounts.models import Membership, Organisation, Role, User
from tracker.audit.models import Event
from tracker.postings.models import Posting, PostingContact

__all__ = ["Event", "Membership", "Organisation", "Posting", "PostingContact", "Role", "User"]
