"""Applications by email: read a mailbox, route each mail by the offer's required subject line
(or the address it was sent to), make the application through the same service as the form,
and keep everything else in a triage list. Nothing is ever dropped.

- ``models``: InboundMail, one row per mail ever read (unique by Message-ID or content hash).
- ``sources``: .eml files, mbox, Maildir, IMAP, behind one small interface.
- ``parse``: what a mail says (sender, subject, bodies, attachments, forwarded mail...).
- ``routing``: which offer a mail is for (normalised subject, plus addressing).
- ``services``: ingesting one mail, attaching a triaged one, setting one aside.
"""
