"""Simulated seasons (issue 5, first "Done when" line): offers with deadlines, applications
arriving, reviews and answers on some days, the worker down for four days; the exact journal
of reminders, closures and messages, day by day.

An independent check of the engine, the rules and the digest: every expected line below was
worked out by hand from the issue and the shared semantics, not copied from a run. Two
seasons, because one window cannot hold both daylight-saving changes:

- autumn (60 days, 11 October - 9 December, clocks go back on Sunday 31 October);
- spring (37 days, 15 March - 20 April, clocks go forward on Sunday 28 March).

Dates are those of 2027's calendar; the seasons run in the next year that has it
(tests/reminders/season.py says why). Times are Paris time; "due" is the reminder's due
moment, "at" a closing's ``closed_at``. The worker runs at 00:30, 07:30, 08:30, 12:00 and
20:00 each day (each round twice: the second must change nothing).

The people: Alice and Bruno (admins), Chloé and David (leads), all reading English; Eva, an
outside contact (the organisation's French). Chloé takes new applications in the daily
digest; Bruno chose "never" for deadline reminders. No reminder settings: the defaults (send
hour 8, deadlines 7 and 1 days before, reviews 3 days after closing then weekly at most 3
times, unanswered 14 days after closing then weekly, interview reminders on, start date off).
"""

from __future__ import annotations

from datetime import date

from tests.reminders.season import Season, differences, local, run, season_year, timeline
from tracker.db import db
from tracker.postings.display import deadline_from_local
from tracker.postings.models import ContactRole
from tracker.reminders.models import NotificationKind, NotificationMode
from tracker.review.models import StageKind

TO, CC = ContactRole.TO, ContactRole.CC


def cast(season: Season) -> None:
    season.set_up()
    season.prefer("Chloé", NotificationKind.NEW_APPLICATION, NotificationMode.DIGEST)
    season.prefer("Bruno", NotificationKind.DEADLINE_APPROACHING, NotificationMode.NEVER)


# --- Autumn -------------------------------------------------------------------------------------
#
# Offers, all published by Alice on Sunday 10 October at 10:00:
# B  deadline Monday 1 November 12:00 (the day after clocks go back); To Alice, Cc Chloé;
#    reviewers Chloé and David; answer promised; contract starts 6 December (start-date
#    reminders are off: nothing about it).
# C  "jusqu'au 14 novembre inclus" (a day: 23:59:59); To David, Cc Eva; reviewers David and
#    Alice; anonymised; no answer promised.
# D  deadline Thursday 11 November 17:00 (inside the downtime); To Chloé only (who takes new
#    applications in her digest: its notifications go to nobody); reviewer Chloé; anonymised.
# E  deadline Wednesday 1 December 18:00, brought forward during the downtime (Friday 12th,
#    by Bruno) to Sunday 14 November 18:00; To Bruno, Cc David; reviewer Bruno.
# F  deadline Saturday 20 November 12:00, closed by Alice on 3 November: no summary, no
#    reminder; To Alice; no reviewer, no application.
# The worker is down from Wednesday 10 to Saturday 13 November (no round on those days).

AUTUMN_DOWN = [date(season_year(), 11, day) for day in (10, 11, 12, 13)]


def autumn_offers(s: Season) -> None:
    published = local(10, 10, 10)
    s.publish("B", now=published, deadline=local(11, 1, 12), end_of_day=False,
              contacts=[s.contact("Alice", TO, 0), s.contact("Chloé", CC, 1)],
              reviewers=["Chloé", "David"], contract_start=date(season_year(), 12, 6))
    s.publish("C", now=published,
              deadline=deadline_from_local(date(season_year(), 11, 14), None, "Europe/Paris"),
              end_of_day=True, contacts=[s.contact("David", TO, 0), s.contact("Eva", CC, 1)],
              reviewers=["David", "Alice"], answer_promise=False, anonymised=True)
    s.publish("D", now=published, deadline=local(11, 11, 17), end_of_day=False,
              contacts=[s.contact("Chloé", TO, 0)], reviewers=["Chloé"], anonymised=True)
    s.publish("E", now=published, deadline=local(12, 1, 18), end_of_day=False,
              contacts=[s.contact("Bruno", TO, 0), s.contact("David", CC, 1)],
              reviewers=["Bruno"])
    s.publish("F", now=published, deadline=local(11, 20, 12), end_of_day=False,
              contacts=[s.contact("Alice", TO, 0)], reviewers=[])


def autumn_events(s: Season) -> list:
    def apply(offer, label, first, last, moment):
        return moment, lambda: s.apply(offer, label, first, last, moment)

    rejected, hired = StageKind.REJECTED, StageKind.HIRED
    return [
        apply("B", "B1", "Anaïs", "Bernard", local(10, 12, 10)),
        apply("C", "C1", "Élodie", "Faure", local(10, 15, 11)),
        apply("D", "D1", "Karima", "Lemoine", local(10, 18, 10)),
        apply("B", "B2", "Bastien", "Caron", local(10, 18, 15)),
        apply("E", "E1", "Manon", "Noël", local(10, 25, 9)),
        apply("B", "B3", "Camille", "Dupuis", local(10, 28, 9)),
        (local(10, 28, 10), lambda: s.interview("Alice", "B2", local(11, 1, 9), ["David"],
                                                local(10, 28, 10))),
        (local(10, 30, 10), lambda: s.review("David", ["B1"])),
        apply("B", "B4", "Damien", "Estève", local(11, 1, 11, 30)),
        apply("C", "C2", "Fabien", "Garnier", local(11, 2, 10)),
        (local(11, 3, 10), lambda: (s.review("David", ["B2", "B3"]), s.review("Chloé", ["D1"]),
                                    s.close_by_hand("Alice", "F", local(11, 3, 10)))),
        (local(11, 5, 10), lambda: s.review("David", ["B4"])),
        (local(11, 8, 10), lambda: s.review("Chloé", ["B1", "B2"])),
        (local(11, 8, 14), lambda: s.interview("Alice", "B1", local(11, 10, 10),
                                               ["Chloé", "David"], local(11, 8, 14))),
        (local(11, 9, 10), lambda: s.review("Alice", ["C1", "C2"])),
        apply("C", "C3", "Gaëlle", "Hamon", local(11, 9, 11)),
        # The worker is down; the web is not.
        apply("D", "D2", "Louis", "Marchand", local(11, 10, 11)),
        apply("C", "C4", "Hugo", "Imbert", local(11, 12, 10)),
        (local(11, 12, 15), lambda: s.move_deadline("Bruno", "E", local(11, 14, 18))),
        apply("E", "E2", "Nathan", "Olivier", local(11, 13, 9)),
        # The last minute of C, then one second after its deadline.
        apply("C", "C5", "Inès", "Joly", local(11, 14, 23, 59)),
        (local(11, 15, 0, 0, 0), lambda: s.refused("C", local(11, 15, 0, 0, 0))),
        (local(11, 15, 10), lambda: s.review("Chloé", ["D2"])),
        # Scheduled after 08:00 on the day before: too late for a reminder.
        (local(11, 16, 9), lambda: s.interview("Alice", "B3", local(11, 17, 14), ["Chloé"],
                                               local(11, 16, 9))),
        (local(11, 16, 10), lambda: (s.decide("Alice", ["B4"], rejected),
                                     s.send_answers("Alice", "B", local(11, 16, 10)))),
        (local(11, 16, 11), lambda: s.review("Chloé", ["B3"])),
        (local(11, 18, 10), lambda: s.review("Alice", ["C3", "C4", "C5"])),
        (local(11, 19, 10), lambda: (s.decide("Alice", ["B1"], hired),
                                     s.decide("Alice", ["B2", "B3"], rejected),
                                     s.review("Bruno", ["E1", "E2"]))),
        (local(11, 20, 10), lambda: s.withdraw("C2", local(11, 20, 10))),
        (local(11, 22, 10), lambda: s.review("David", ["C1", "C3"])),
        (local(11, 24, 10), lambda: s.send_answers("Alice", "B", local(11, 24, 10))),
        (local(11, 26, 10), lambda: (s.decide("Alice", ["D1", "D2"], rejected),
                                     s.send_answers("Alice", "D", local(11, 26, 10)))),
        (local(12, 1, 10), lambda: (s.decide("Bruno", ["E1", "E2"], rejected),
                                    s.send_answers("Bruno", "E", local(12, 1, 10)))),
    ]


AUTUMN = """
# B1 arrives: Chloé (Cc of B) takes it in her digest; the notification goes to Alice only.
10-12 Tue 10:00 | remind new_application B1 -> Chloé digest
10-12 Tue 12:00 | mail application.acknowledgement -> cand B1
10-12 Tue 12:00 | mail application.notification -> Alice
# A digest goes out at the send hour only (semantics 6 as amended: slot = the latest 08:00
# <= now; it lists the rows due at or before its slot). B1 came after today's 08:00: no
# digest today (not at 12:00, 20:00, 00:30 nor 07:30, although none went out today); it
# goes in tomorrow's, sent by the first round after 08:00.
10-13 Wed 08:30 | remind digest digest -> Chloé queued due 10-13 08:00
10-13 Wed 08:30 | digested new_application B1 -> Chloé
10-13 Wed 08:30 | mail reminder.digest -> Chloé | DG Maison des quartiers | refs B1

10-15 Fri 12:00 | mail application.acknowledgement -> cand C1
10-15 Fri 12:00 | mail application.notification -> David cc Eva

# D1: D's only contact is Chloé, who takes the digest: no notification at all.
10-18 Mon 10:00 | remind new_application D1 -> Chloé digest
10-18 Mon 12:00 | mail application.acknowledgement -> cand D1
# B2 arrives later the same day. Both came after today's 08:00: they wait for tomorrow's
# digest (not at 12:00, 20:00, 00:30 nor 07:30), which lists them together, by reference.
10-18 Mon 15:00 | remind new_application B2 -> Chloé digest
10-18 Mon 20:00 | mail application.acknowledgement -> cand B2
10-18 Mon 20:00 | mail application.notification -> Alice
10-19 Tue 08:30 | remind digest digest -> Chloé queued due 10-19 08:00
10-19 Tue 08:30 | digested new_application B2 -> Chloé
10-19 Tue 08:30 | digested new_application D1 -> Chloé
10-19 Tue 08:30 | mail reminder.digest -> Chloé | DG Maison des quartiers | refs B2 D1

# B, 7 days before (summer time): admins Alice, Bruno + contacts Alice, Chloé, each once.
10-25 Mon 08:30 | remind deadline_approaching B -> Alice queued due 10-25 08:00
10-25 Mon 08:30 | remind deadline_approaching B -> Bruno skipped due 10-25 08:00
10-25 Mon 08:30 | remind deadline_approaching B -> Chloé queued due 10-25 08:00
10-25 Mon 08:30 | mail reminder.deadline_approaching -> Alice | DA Offre B | in 7 days | 2
10-25 Mon 08:30 | mail reminder.deadline_approaching -> Chloé | DA Offre B | in 7 days | 2
10-25 Mon 12:00 | mail application.acknowledgement -> cand E1
10-25 Mon 12:00 | mail application.notification -> Bruno cc David

10-28 Thu 09:00 | remind new_application B3 -> Chloé digest
10-28 Thu 12:00 | mail application.acknowledgement -> cand B3
10-28 Thu 12:00 | mail application.notification -> Alice
10-28 Thu 12:00 | mail interview.invitation -> cand B2
10-28 Thu 12:00 | mail interview.reviewer -> David
# B3 came at 09:00, after today's 08:00: in Friday's digest.
10-29 Fri 08:30 | remind digest digest -> Chloé queued due 10-29 08:00
10-29 Fri 08:30 | digested new_application B3 -> Chloé
10-29 Fri 08:30 | mail reminder.digest -> Chloé | DG Maison des quartiers | refs B3

# Sunday 31 October, clocks go back at 03:00: 08:00 is 07:00 UTC (not at the 07:30 round).
10-31 Sun 08:30 | remind deadline_approaching B -> Alice queued due 10-31 08:00
10-31 Sun 08:30 | remind deadline_approaching B -> Bruno skipped due 10-31 08:00
10-31 Sun 08:30 | remind deadline_approaching B -> Chloé queued due 10-31 08:00
10-31 Sun 08:30 | mail reminder.deadline_approaching -> Alice | DA Offre B | tomorrow | 3
10-31 Sun 08:30 | mail reminder.deadline_approaching -> Chloé | DA Offre B | tomorrow | 3
# B2's interview on Monday 09:00: to David, who takes part (not to the candidate: off).
10-31 Sun 08:30 | remind interview_tomorrow B2 -> David queued due 10-31 08:00
10-31 Sun 08:30 | mail reminder.interview_tomorrow -> David | IT Offre B | [B2]

# B4, half an hour before B's deadline. At 12:00:00 the deadline is not passed (it is the
# last instant accepted): B closes at the 20:00 round, closed_at = the deadline.
11-01 Mon 11:30 | remind new_application B4 -> Chloé digest
11-01 Mon 12:00 | mail application.acknowledgement -> cand B4
11-01 Mon 12:00 | mail application.notification -> Alice
11-01 Mon 20:00 | close B by system at 11-01 12:00
11-01 Mon 20:00 | remind deadline_reached B -> Alice queued due 11-01 12:00
11-01 Mon 20:00 | remind deadline_reached B -> Chloé queued due 11-01 12:00
11-01 Mon 20:00 | mail reminder.deadline_reached -> Alice | DR Offre B | 4 | 1 reviewed | 3 not
11-01 Mon 20:00 | mail reminder.deadline_reached -> Chloé | DR Offre B | 4 | 1 reviewed | 3 not

# B4 (11:30 yesterday) in Tuesday's digest (winter time: 08:00 is 07:00 UTC).
11-02 Tue 08:30 | remind digest digest -> Chloé queued due 11-02 08:00
11-02 Tue 08:30 | digested new_application B4 -> Chloé
11-02 Tue 08:30 | mail reminder.digest -> Chloé | DG Maison des quartiers | refs B4
11-02 Tue 12:00 | mail application.acknowledgement -> cand C2
11-02 Tue 12:00 | mail application.notification -> David cc Eva
# F closed by a person before its deadline: no summary, no reminder ever.
11-03 Wed 10:00 | close F by Alice at 11-03 10:00

# Reviews pending for B, 3 days after closing: Chloé has all four, David only B4.
11-04 Thu 08:30 | remind reviews_pending B -> Chloé queued due 11-04 08:00
11-04 Thu 08:30 | remind reviews_pending B -> David queued due 11-04 08:00
11-04 Thu 08:30 | mail reminder.reviews_pending -> Chloé | RP Offre B | #1 | 4 | refs B1 B2 B3 B4
11-04 Thu 08:30 | mail reminder.reviews_pending -> David | RP Offre B | #1 | 1 | refs B4
11-04 Thu 08:30 | remind deadline_approaching D -> Alice queued due 11-04 08:00
11-04 Thu 08:30 | remind deadline_approaching D -> Bruno skipped due 11-04 08:00
11-04 Thu 08:30 | remind deadline_approaching D -> Chloé queued due 11-04 08:00
11-04 Thu 08:30 | mail reminder.deadline_approaching -> Alice | DA Offre D | in 7 days | 1
11-04 Thu 08:30 | mail reminder.deadline_approaching -> Chloé | DA Offre D | in 7 days | 1

# C, the inclusive deadline, 7 days before; Eva reads French (no time_left in her subject).
11-07 Sun 08:30 | remind deadline_approaching C -> Alice queued due 11-07 08:00
11-07 Sun 08:30 | remind deadline_approaching C -> Bruno skipped due 11-07 08:00
11-07 Sun 08:30 | remind deadline_approaching C -> David queued due 11-07 08:00
11-07 Sun 08:30 | remind deadline_approaching C -> Eva queued due 11-07 08:00
11-07 Sun 08:30 | mail reminder.deadline_approaching -> Alice | DA Offre C | in 7 days | 2
11-07 Sun 08:30 | mail reminder.deadline_approaching -> David | DA Offre C | in 7 days | 2
11-07 Sun 08:30 | mail reminder.deadline_approaching -> Eva | DA Offre C | 2

11-08 Mon 20:00 | mail interview.invitation -> cand B1
11-08 Mon 20:00 | mail interview.reviewer -> Chloé
11-08 Mon 20:00 | mail interview.reviewer -> David
11-09 Tue 08:30 | remind interview_tomorrow B1 -> Chloé queued due 11-09 08:00
11-09 Tue 08:30 | remind interview_tomorrow B1 -> David queued due 11-09 08:00
11-09 Tue 08:30 | mail reminder.interview_tomorrow -> Chloé | IT Offre B | [B1]
11-09 Tue 08:30 | mail reminder.interview_tomorrow -> David | IT Offre B | [B1]
11-09 Tue 12:00 | mail application.acknowledgement -> cand C3
11-09 Tue 12:00 | mail application.notification -> David cc Eva

# Down from Wednesday 10 to Saturday 13: D's J-1 (10th), D's deadline (11th), B's second
# reviews reminder (11th), C's and E's J-1 (13th) pass without a worker.
11-10 Wed 11:00 | remind new_application D2 -> Chloé digest

# Back on Sunday 14 at 00:30. D closes with closed_at = its deadline and its summary (D's J-1
# lost its reason). C's J-1 goes out late, once, saying "today"; E's deadline was brought
# forward to today 18:00: its J-7 and J-1 are both due, only the J-1 goes out. B's second
# reviews reminder goes to Chloé only (David reviewed everything). Chloé's digest of the
# latest slot (yesterday 08:00, no round then) holds D2, due before that slot: one digest,
# not one per missed day. The outbox sends what was queued meanwhile.
11-14 Sun 00:30 | close D by system at 11-11 17:00
11-14 Sun 00:30 | remind deadline_reached D -> Chloé queued due 11-11 17:00
11-14 Sun 00:30 | mail reminder.deadline_reached -> Chloé | DR Offre D | 2 | 1 reviewed | 1 not
11-14 Sun 00:30 | remind deadline_approaching C -> Alice queued due 11-13 08:00
11-14 Sun 00:30 | remind deadline_approaching C -> Bruno skipped due 11-13 08:00
11-14 Sun 00:30 | remind deadline_approaching C -> David queued due 11-13 08:00
11-14 Sun 00:30 | remind deadline_approaching C -> Eva queued due 11-13 08:00
11-14 Sun 00:30 | mail reminder.deadline_approaching -> Alice | DA Offre C | today | 4
11-14 Sun 00:30 | mail reminder.deadline_approaching -> David | DA Offre C | today | 4
11-14 Sun 00:30 | mail reminder.deadline_approaching -> Eva | DA Offre C | 4
11-14 Sun 00:30 | remind deadline_approaching E -> Alice queued due 11-13 08:00
11-14 Sun 00:30 | remind deadline_approaching E -> Bruno skipped due 11-13 08:00
11-14 Sun 00:30 | remind deadline_approaching E -> David queued due 11-13 08:00
11-14 Sun 00:30 | mail reminder.deadline_approaching -> Alice | DA Offre E | today | 2
11-14 Sun 00:30 | mail reminder.deadline_approaching -> David | DA Offre E | today | 2
11-14 Sun 00:30 | remind reviews_pending B -> Chloé queued due 11-11 08:00
11-14 Sun 00:30 | mail reminder.reviews_pending -> Chloé | RP Offre B | #2 | 2 | refs B3 B4
11-14 Sun 00:30 | remind digest digest -> Chloé queued due 11-13 08:00
11-14 Sun 00:30 | digested new_application D2 -> Chloé
11-14 Sun 00:30 | mail reminder.digest -> Chloé | DG Maison des quartiers | refs D2
11-14 Sun 00:30 | mail application.acknowledgement -> cand D2
11-14 Sun 00:30 | mail application.acknowledgement -> cand C4
11-14 Sun 00:30 | mail application.notification -> David cc Eva
11-14 Sun 00:30 | mail application.acknowledgement -> cand E2
11-14 Sun 00:30 | mail application.notification -> Bruno cc David
# D closed on the 11th: its first reviews reminder is due today at 08:00 (D2, masked).
11-14 Sun 08:30 | remind reviews_pending D -> Chloé queued due 11-14 08:00
11-14 Sun 08:30 | mail reminder.reviews_pending -> Chloé | RP Offre D | #1 | 1 | refs D2
11-14 Sun 20:00 | close E by system at 11-14 18:00
11-14 Sun 20:00 | remind deadline_reached E -> Bruno queued due 11-14 18:00
11-14 Sun 20:00 | remind deadline_reached E -> David queued due 11-14 18:00
11-14 Sun 20:00 | mail reminder.deadline_reached -> Bruno | DR Offre E | 2 | 0 reviewed | 2 not
11-14 Sun 20:00 | mail reminder.deadline_reached -> David | DR Offre E | 2 | 0 reviewed | 2 not

# C5 at 23:59 is taken; at 00:00:00 (one second after 23:59:59) the form refuses.
11-15 Mon 00:30 | close C by system at 11-14 23:59:59
11-15 Mon 00:30 | remind deadline_reached C -> David queued due 11-14 23:59:59
11-15 Mon 00:30 | remind deadline_reached C -> Eva queued due 11-14 23:59:59
11-15 Mon 00:30 | mail reminder.deadline_reached -> David | DR Offre C | 5 | 2 reviewed | 3 not
11-15 Mon 00:30 | mail reminder.deadline_reached -> Eva | DR Offre C | 5 | 2 reviewed | 3 not
11-15 Mon 00:30 | mail application.acknowledgement -> cand C5
11-15 Mon 00:30 | mail application.notification -> David cc Eva
# B, 14 days after closing: nobody answered yet; B promised an answer.
11-15 Mon 08:30 | remind unanswered B -> Alice queued due 11-15 08:00
11-15 Mon 08:30 | remind unanswered B -> Chloé queued due 11-15 08:00
11-15 Mon 08:30 | mail reminder.unanswered -> Alice | UA Offre B | 4 | promised | answers link
11-15 Mon 08:30 | mail reminder.unanswered -> Chloé | UA Offre B | 4 | promised | answers link

# B3's interview (17th 14:00) is scheduled at 09:00 on the 16th, after its reminder's due
# moment (08:00): no reminder. B4 is answered.
11-16 Tue 12:00 | mail interview.invitation -> cand B3
11-16 Tue 12:00 | mail interview.reviewer -> Chloé
11-16 Tue 12:00 | mail answer.not_retained -> cand B4

11-17 Wed 08:30 | remind reviews_pending C -> Alice queued due 11-17 08:00
11-17 Wed 08:30 | remind reviews_pending C -> David queued due 11-17 08:00
11-17 Wed 08:30 | mail reminder.reviews_pending -> Alice | RP Offre C | #1 | 3 | refs C3 C4 C5
11-17 Wed 08:30 | mail reminder.reviews_pending -> David | RP Offre C | #1 | 5 | refs C1 C2 C3 C4 C5
11-17 Wed 08:30 | remind reviews_pending E -> Bruno queued due 11-17 08:00
11-17 Wed 08:30 | mail reminder.reviews_pending -> Bruno | RP Offre E | #1 | 2 | refs E1 E2
# 18th: B's third reviews reminder has no reason (Chloé reviewed B3, B4 is rejected).

11-20 Sat 12:00 | mail application.withdrawn -> David cc Eva
11-22 Mon 08:30 | remind unanswered B -> Alice queued due 11-22 08:00
11-22 Mon 08:30 | remind unanswered B -> Chloé queued due 11-22 08:00
11-22 Mon 08:30 | mail reminder.unanswered -> Alice | UA Offre B | 3 | promised | answers link
11-22 Mon 08:30 | mail reminder.unanswered -> Chloé | UA Offre B | 3 | promised | answers link
# C's second: David still has C4 and C5 (C2 withdrew); Alice is done; so is Bruno for E.
11-24 Wed 08:30 | remind reviews_pending C -> David queued due 11-24 08:00
11-24 Wed 08:30 | mail reminder.reviews_pending -> David | RP Offre C | #2 | 2 | refs C4 C5
11-24 Wed 12:00 | mail answer.retained -> cand B1
11-24 Wed 12:00 | mail answer.not_retained -> cand B2
11-24 Wed 12:00 | mail answer.not_retained -> cand B3
11-25 Thu 08:30 | remind unanswered D -> Chloé queued due 11-25 08:00
11-25 Thu 08:30 | mail reminder.unanswered -> Chloé | UA Offre D | 2 | promised | answers link
11-26 Fri 12:00 | mail answer.not_retained -> cand D1
11-26 Fri 12:00 | mail answer.not_retained -> cand D2
# C: four without an answer (C2 withdrew), no promise; E: two.
11-28 Sun 08:30 | remind unanswered C -> David queued due 11-28 08:00
11-28 Sun 08:30 | remind unanswered C -> Eva queued due 11-28 08:00
11-28 Sun 08:30 | mail reminder.unanswered -> David | UA Offre C | 4 | no promise | answers link
11-28 Sun 08:30 | mail reminder.unanswered -> Eva | UA Offre C | 4 | no promise | answers link
11-28 Sun 08:30 | remind unanswered E -> Bruno queued due 11-28 08:00
11-28 Sun 08:30 | remind unanswered E -> David queued due 11-28 08:00
11-28 Sun 08:30 | mail reminder.unanswered -> Bruno | UA Offre E | 2 | promised | answers link
11-28 Sun 08:30 | mail reminder.unanswered -> David | UA Offre E | 2 | promised | answers link
# 29th: B's third unanswered reminder has no reason (all answered on the 24th).
12-01 Wed 08:30 | remind reviews_pending C -> David queued due 12-01 08:00
12-01 Wed 08:30 | mail reminder.reviews_pending -> David | RP Offre C | #3 | 2 | refs C4 C5
12-01 Wed 12:00 | mail answer.not_retained -> cand E1
12-01 Wed 12:00 | mail answer.not_retained -> cand E2
# 2nd: D answered. 5th: C still unanswered, E answered. 8th: C's reviews series is over (3).
12-05 Sun 08:30 | remind unanswered C -> David queued due 12-05 08:00
12-05 Sun 08:30 | remind unanswered C -> Eva queued due 12-05 08:00
12-05 Sun 08:30 | mail reminder.unanswered -> David | UA Offre C | 4 | no promise | answers link
12-05 Sun 08:30 | mail reminder.unanswered -> Eva | UA Offre C | 4 | no promise | answers link
"""


def test_autumn_season_day_by_day(app, tmp_path):
    with app.app_context():
        season = Season(outbox=tmp_path / "outbox")
        cast(season)
        autumn_offers(season)
        year = season_year()
        steps = timeline(date(year, 10, 11), date(year, 12, 9), autumn_events(season),
                         down=AUTUMN_DOWN)
        problems = run(season, steps, dry_run_at=[local(11, 14, 0, 30)])
        db.session.remove()
    diff = differences(season.journal, AUTUMN)
    assert not diff and not problems, "\n".join(["", diff, *problems])


# --- Spring -------------------------------------------------------------------------------------
#
# One offer, S, published by Alice on Sunday 14 March at 10:00 with a deadline on Thursday
# 25 March 12:00; To Alice, Cc Eva; reviewers Alice and David; answer promised. On Monday 22
# March Alice moves the deadline to Monday 29 March 12:00, the day after clocks go forward.


def spring_events(s: Season) -> list:
    def apply(label, first, last, moment):
        return moment, lambda: s.apply("S", label, first, last, moment)

    return [
        apply("S1", "Océane", "Petit", local(3, 16, 10)),
        apply("S2", "Paul", "Quéré", local(3, 19, 10)),
        (local(3, 22, 10), lambda: s.move_deadline("Alice", "S", local(3, 29, 12))),
        (local(3, 26, 10), lambda: s.review("Alice", ["S1"])),
        apply("S3", "Romane", "Renaud", local(3, 27, 15)),
        # One second before the deadline, taken; one second after, refused.
        apply("S4", "Simon", "Texier", local(3, 29, 11, 59, 59)),
        (local(3, 29, 12, 0, 1), lambda: s.refused("S", local(3, 29, 12, 0, 1))),
        (local(3, 30, 10), lambda: s.review("Alice", ["S2"])),
        (local(4, 5, 10), lambda: s.review("David", ["S1", "S2", "S3", "S4"])),
        (local(4, 10, 10), lambda: s.review("Alice", ["S3", "S4"])),
        (local(4, 14, 10), lambda: (s.decide("Alice", ["S1"], StageKind.HIRED),
                                    s.decide("Alice", ["S2", "S3", "S4"], StageKind.REJECTED),
                                    s.send_answers("Alice", "S", local(4, 14, 10)))),
    ]


SPRING = """
03-16 Tue 12:00 | mail application.acknowledgement -> cand S1
03-16 Tue 12:00 | mail application.notification -> Alice cc Eva
# 7 days before the first deadline (winter time: 08:00 is 07:00 UTC).
03-18 Thu 08:30 | remind deadline_approaching S -> Alice queued due 03-18 08:00
03-18 Thu 08:30 | remind deadline_approaching S -> Bruno skipped due 03-18 08:00
03-18 Thu 08:30 | remind deadline_approaching S -> Eva queued due 03-18 08:00
03-18 Thu 08:30 | mail reminder.deadline_approaching -> Alice | DA Offre S | in 7 days | 1
03-18 Thu 08:30 | mail reminder.deadline_approaching -> Eva | DA Offre S | 1
03-19 Fri 12:00 | mail application.acknowledgement -> cand S2
03-19 Fri 12:00 | mail application.notification -> Alice cc Eva
# At 10:00 Alice moves the deadline to the 29th: its new J-7 (today 08:00) is due at the next
# round; the old J-1 (24th) and the old closing (25th) never happen.
03-22 Mon 12:00 | remind deadline_approaching S -> Alice queued due 03-22 08:00
03-22 Mon 12:00 | remind deadline_approaching S -> Bruno skipped due 03-22 08:00
03-22 Mon 12:00 | remind deadline_approaching S -> Eva queued due 03-22 08:00
03-22 Mon 12:00 | mail reminder.deadline_approaching -> Alice | DA Offre S | in 7 days | 2
03-22 Mon 12:00 | mail reminder.deadline_approaching -> Eva | DA Offre S | 2
03-27 Sat 20:00 | mail application.acknowledgement -> cand S3
03-27 Sat 20:00 | mail application.notification -> Alice cc Eva
# Sunday 28 March, clocks go forward at 02:00: 08:00 is 06:00 UTC (not at the 07:30 round).
03-28 Sun 08:30 | remind deadline_approaching S -> Alice queued due 03-28 08:00
03-28 Sun 08:30 | remind deadline_approaching S -> Bruno skipped due 03-28 08:00
03-28 Sun 08:30 | remind deadline_approaching S -> Eva queued due 03-28 08:00
03-28 Sun 08:30 | mail reminder.deadline_approaching -> Alice | DA Offre S | tomorrow | 3
03-28 Sun 08:30 | mail reminder.deadline_approaching -> Eva | DA Offre S | 3
# S4 at 11:59:59; the 12:00:00 round does not close (the deadline is the last instant).
03-29 Mon 12:00 | mail application.acknowledgement -> cand S4
03-29 Mon 12:00 | mail application.notification -> Alice cc Eva
03-29 Mon 20:00 | close S by system at 03-29 12:00
03-29 Mon 20:00 | remind deadline_reached S -> Alice queued due 03-29 12:00
03-29 Mon 20:00 | remind deadline_reached S -> Eva queued due 03-29 12:00
03-29 Mon 20:00 | mail reminder.deadline_reached -> Alice | DR Offre S | 4 | 1 reviewed | 3 not
03-29 Mon 20:00 | mail reminder.deadline_reached -> Eva | DR Offre S | 4 | 1 reviewed | 3 not
04-01 Thu 08:30 | remind reviews_pending S -> Alice queued due 04-01 08:00
04-01 Thu 08:30 | remind reviews_pending S -> David queued due 04-01 08:00
04-01 Thu 08:30 | mail reminder.reviews_pending -> Alice | RP Offre S | #1 | 2 | refs S3 S4
04-01 Thu 08:30 | mail reminder.reviews_pending -> David | RP Offre S | #1 | 4 | refs S1 S2 S3 S4
04-08 Thu 08:30 | remind reviews_pending S -> Alice queued due 04-08 08:00
04-08 Thu 08:30 | mail reminder.reviews_pending -> Alice | RP Offre S | #2 | 2 | refs S3 S4
04-12 Mon 08:30 | remind unanswered S -> Alice queued due 04-12 08:00
04-12 Mon 08:30 | remind unanswered S -> Eva queued due 04-12 08:00
04-12 Mon 08:30 | mail reminder.unanswered -> Alice | UA Offre S | 4 | promised | answers link
04-12 Mon 08:30 | mail reminder.unanswered -> Eva | UA Offre S | 4 | promised | answers link
04-14 Wed 12:00 | mail answer.retained -> cand S1
04-14 Wed 12:00 | mail answer.not_retained -> cand S2
04-14 Wed 12:00 | mail answer.not_retained -> cand S3
04-14 Wed 12:00 | mail answer.not_retained -> cand S4
# 15th: the third reviews reminder has no reason; 19th: everyone is answered.
"""


def test_spring_season_day_by_day(app, tmp_path):
    with app.app_context():
        season = Season(outbox=tmp_path / "outbox")
        cast(season)
        season.publish("S", now=local(3, 14, 10), deadline=local(3, 25, 12), end_of_day=False,
                       contacts=[season.contact("Alice", TO, 0), season.contact("Eva", CC, 1)],
                       reviewers=["Alice", "David"])
        year = season_year()
        steps = timeline(date(year, 3, 15), date(year, 4, 20), spring_events(season))
        problems = run(season, steps, dry_run_at=[local(3, 29, 20)])
        db.session.remove()
    diff = differences(season.journal, SPRING)
    assert not diff and not problems, "\n".join(["", diff, *problems])
