"""Every model of every domain, imported once so the metadata is complete."""

from tracker.accounts.models import Membership, Organisation, Role, User
from tracker.applications.models import Application, Candidate, Document, Submission
from tracker.audit.models import Event
from tracker.ingest.models import InboundMail
from tracker.mail.models import Message, MessageAttachment, MessageTemplate
from tracker.postings.models import Posting, PostingContact
from tracker.reminders.models import (
    NotificationPreference,
    Reminder,
    ReminderSettings,
)
from tracker.review import defaults  # noqa: F401  (pipelines and scorecards for new rows)
from tracker.review.models import (
    Comment,
    Criterion,
    Interview,
    InterviewParticipant,
    PostingReviewer,
    Review,
    ReviewScore,
    Stage,
)

__all__ = [
    "Application", "Candidate", "Document", "Event", "Membership", "Message",
    "MessageAttachment", "MessageTemplate", "Organisation", "Posting", "PostingContact", "Role",
    "Submission", "User", "Comment", "Criterion", "Interview", "InterviewParticipant",
    "PostingReviewer", "Review", "ReviewScore", "Stage", "NotificationPreference", "Reminder",
    "ReminderSettings", "InboundMail",
]
