"""Who reminders go to, as Recipients: an offer's contacts, an organisation's admins, users."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Membership, Role, User
from tracker.db import db
from tracker.mail.templates import normalise_locale
from tracker.postings.models import ContactRole, Posting, PostingContact
from tracker.reminders.core import Recipient


def user_recipient(user: User, organisation) -> Recipient:
    return Recipient(address=user.email, name=user.name or user.email, user_id=user.id,
                     locale=normalise_locale(user.locale or organisation.locale))


def contacts(posting: Posting) -> list[Recipient]:
    """The offer's 'to' and 'cc' contacts ('info' contacts are told nothing): users as users
    (their choices apply; inactive accounts are left out), outside people by address."""
    organisation = posting.organisation
    result = []
    for contact in posting.contacts:
        if contact.role not in (ContactRole.TO, ContactRole.CC):
            continue
        if contact.user is not None:
            if contact.user.active:
                result.append(user_recipient(contact.user, organisation))
        elif contact.email.strip():
            result.append(Recipient(address=contact.email.strip(), name=contact.name,
                                    locale=normalise_locale(organisation.locale)))
    return unique(result)


def admins(organisation) -> list[Recipient]:
    """The organisation's active admins."""
    users = db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.organisation_id == organisation.id, Membership.role == Role.ADMIN,
            User.active.is_(True),
        ).order_by(User.id)
    )
    return [user_recipient(user, organisation) for user in users]


def users(user_ids: Iterable[int], organisation) -> list[Recipient]:
    """These users, if active and still members of the organisation."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    found = db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id).where(
            User.id.in_(ids), Membership.organisation_id == organisation.id,
            User.active.is_(True),
        ).order_by(User.id)
    )
    return [user_recipient(user, organisation) for user in found]


def unique(recipients: Iterable[Recipient]) -> list[Recipient]:
    """Each person once: by user, then by address (a user named twice, or an outside contact
    whose address is a user's, counts once; the user wins)."""
    recipients = list(recipients)
    user_addresses = {r.address.lower() for r in recipients if r.user_id is not None}
    seen: set[str] = set()
    result = []
    for recipient in recipients:
        if recipient.user_id is None and recipient.address.lower() in user_addresses:
            continue
        if recipient.key in seen:
            continue
        seen.add(recipient.key)
        result.append(recipient)
    return result


def contacts_loader():
    """Loader options for postings whose contacts will be read (one query for all)."""
    return selectinload(Posting.contacts).selectinload(PostingContact.user)
