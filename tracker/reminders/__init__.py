"""Deadline reminders: offers close themselves at their deadline, nobody forgets to review or
to answer.

- ``models``: Reminder (one row per reminder and recipient, unique key: queued once, ever),
  NotificationPreference (each time / daily digest / never, per user and kind),
  ReminderSettings (per organisation).
- ``schedule``: local-time arithmetic (the organisation's time zone, across DST).
- ``rules``: what is due, one module per family of rules, each a function of a PassContext
  returning Due objects.
- ``engine``: one pass (``run_pass``): closes expired offers, asks every rule what is due,
  records each reminder once and queues its email (or keeps it for the digest).
- ``worker``: the loop of ``flask worker``: pass, then outbox delivery, every minute.
"""
