"""The reminder rules, in the order the engine asks them. The closing summary is not a rule
here: the engine builds it (``offers.closing_summary``) in the transaction that closes the
offer. The daily digest comes after all rules (``tracker.reminders.digest``), so that it
gathers what they kept for it in the same pass."""

from __future__ import annotations

from tracker.reminders.rules import offers, people

RULES = (
    offers.deadline_approaching,
    offers.reviews_pending,
    offers.unanswered,
    people.interview_tomorrow,
    people.start_date,
)
