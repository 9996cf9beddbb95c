"""Accounts services: who may log in, who belongs where, what an organisation says about itself.

Services add and flush; the request (or the command) commits. Refusals raise ``AccountError``
whose ``str()`` is a translated message for the person who asked.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.accounts.models import Membership, Organisation, Role, User, normalise_email
from tracker.audit.services import record_event
from tracker.db import db, utcnow
from tracker.postings.services import slugify

# Compared against when the email is unknown, so that an unknown address costs the same time
# as a wrong password and the answer's timing does not tell which emails have accounts.
_DUMMY_HASH: str | None = None


class AccountError(Exception):
    """A refused change; ``str(error)`` is a message for the user."""


# --- Logging in ----------------------------------------------------------------------------


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password, active or not; None otherwise."""
    global _DUMMY_HASH
    user = find_user(email)
    if user is None or not user.password_hash:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = generate_password_hash(secrets.token_hex(16))
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if user.check_password(password) else None


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    db.session.flush()


# --- Passwords -----------------------------------------------------------------------------


def generate_password() -> str:
    """A one-time password that is easy to read out: no 0/O, 1/l/I."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4)]
    return "-".join(groups)


def change_password(user: User, new_password: str, *, actor: User | None) -> None:
    user.set_password(new_password)
    db.session.flush()
    for membership in user.memberships:
        record_event(
            organisation_id=membership.organisation_id,
            actor=actor,
            action="user.change_password",
            object_type="user",
            object_id=user.id,
        )


# --- Members -------------------------------------------------------------------------------


def members_of(organisation: Organisation) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(Membership.user)
            .where(Membership.organisation_id == organisation.id)
            .options(contains_eager(Membership.user))
            .order_by(sa.func.lower(User.name), User.email)
        )
    )


def membership_of(organisation: Organisation, user_id: int) -> Membership | None:
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.organisation_id == organisation.id, Membership.user_id == user_id
        )
    )


def _lock_members(organisation: Organisation) -> None:
    """Serialise changes to an organisation's members (two admins demoting each other)."""
    db.session.execute(
        sa.select(Organisation.id).where(Organisation.id == organisation.id).with_for_update()
    )


def _admin_count(organisation: Organisation) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Membership)
        .where(Membership.organisation_id == organisation.id, Membership.role == Role.ADMIN)
    )


def add_member(
    organisation: Organisation, *, email: str, name: str, role: Role | str, actor: User | None
) -> tuple[Membership, str | None]:
    """Give someone access. Returns the membership and, for a new account, its one-time password.

    An existing account (a member of another organisation) keeps its name and password.
    """
    role = Role(role)
    _lock_members(organisation)
    user = find_user(email)
    password = None
    if user is None:
        password = generate_password()
        user = User(email=normalise_email(email), name=name.strip())
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
    elif membership_of(organisation, user.id) is not None:
        raise AccountError(
            _("%(email)s is already a member of this organisation.", email=user.email)
        )
    membership = Membership(user=user, organisation=organisation, role=role)
    db.session.add(membership)
    db.session.flush()
    record_event(
        organisation_id=organisation.id,
        actor=actor,
        action="member.add",
        object_type="user",
        object_id=user.id,
        role=role.value,
        new_account=password is not None,
    )
    return membership, password


def change_role(membership: Membership, role: Role | str, *, actor: User | None) -> bool:
    """Change a member's role; refuses to leave the organisation without an administrator."""
    role = Role(role)
    _lock_members(membership.organisation)
    previous = Role(membership.role)
    if previous == role:
        return False
    if previous == Role.ADMIN and _admin_count(membership.organisation) <= 1:
        raise AccountError(
            _(
                "%(name)s is the last administrator of this organisation: make someone else "
                "administrator first.",
                name=membership.user.display_name,
            )
        )
    membership.role = role
    db.session.flush()
    record_event(
        organisation_id=membership.organisation_id,
        actor=actor,
        action="member.change_role",
        object_type="user",
        object_id=membership.user_id,
        **{"from": previous.value, "to": role.value},
    )
    return True


def remove_member(membership: Membership, *, actor: User | None) -> None:
    """Take someone's access away; their account stays (they may belong elsewhere)."""
    _lock_members(membership.organisation)
    if membership.role == Role.ADMIN and _admin_count(membership.organisation) <= 1:
        raise AccountError(
            _(
                "%(name)s is the last administrator of this organisation and cannot be "
                "removed: make someone else administrator first.",
                name=membership.user.display_name,
            )
        )
    organisation_id, user_id, role = (
        membership.organisation_id, membership.user_id, membership.role
    )
    db.session.delete(membership)
    db.session.flush()
    record_event(
        organisation_id=organisation_id,
        actor=actor,
        action="member.remove",
        object_type="user",
        object_id=user_id,
        role=role,
    )


# --- The organisation ----------------------------------------------------------------------

ORGANISATION_FIELDS = (
    "name", "presentation", "address", "postal_code", "city", "website", "email", "timezone",
    "locale",
)
# Settings that are not text (a checkbox, a number): the form's values are taken as they are.
ORGANISATION_SETTINGS = ("attach_documents", "retention_months")


def update_organisation(
    organisation: Organisation,
    *,
    actor: User | None,
    values: dict[str, str],
    logo: tuple[bytes, str] | None = None,
    remove_logo: bool = False,
) -> list[str]:
    """Apply the settings form; returns the names of the fields that changed (audited)."""
    changed = []
    for name in ORGANISATION_FIELDS + ORGANISATION_SETTINGS:
        value = values.get(name)
        if value is not None and getattr(organisation, name) != value:
            setattr(organisation, name, value)
            changed.append(name)
    if logo is not None:
        organisation.logo, organisation.logo_media_type = logo
        changed.append("logo")
    elif remove_logo and organisation.has_logo:
        organisation.logo = None
        organisation.logo_media_type = None
        changed.append("logo")
    db.session.flush()
    if changed:
        record_event(
            organisation_id=organisation.id,
            actor=actor,
            action="organisation.edit",
            object_type="organisation",
            object_id=organisation.id,
            fields=sorted(changed),
        )
    return changed


def unique_organisation_slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = slugify(name, max_length=70) if re.search(r"[A-Za-z0-9]", ascii_name) else "organisation"
    slug, n = base, 1
    while db.session.scalar(sa.select(Organisation.id).where(Organisation.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- The create-admin command ----------------------------------------------------------------


@dataclass
class AdminSetup:
    """What create_admin did, for the command to report."""

    organisation: Organisation
    user: User
    done: list[str] = field(default_factory=list)


def create_admin(*, email: str, password: str, organisation_name: str,
                 name: str | None = None) -> AdminSetup:
    """Create or update an administrator (and their organisation). Messages are English: CLI."""
    done: list[str] = []
    organisation_name = organisation_name.strip()
    organisation = db.session.scalar(
        sa.select(Organisation).where(
            sa.or_(
                sa.func.lower(Organisation.name) == organisation_name.lower(),
                Organisation.slug == organisation_name,
            )
        ).order_by(Organisation.id)
    )
    if organisation is None:
        organisation = Organisation(name=organisation_name,
                                    slug=unique_organisation_slug(organisation_name))
        db.session.add(organisation)
        db.session.flush()
        done.append(f"Created organisation “{organisation.name}” (slug: {organisation.slug}).")
    else:
        done.append(f"Found organisation “{organisation.name}” (slug: {organisation.slug}).")

    user = find_user(email)
    if user is None:
        user = User(email=normalise_email(email), name=(name or "").strip())
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        done.append(f"Created user {user.email}.")
    else:
        user.set_password(password)
        done.append(f"Updated the password of {user.email}.")
        if name is not None and name.strip() and user.name != name.strip():
            user.name = name.strip()
            done.append(f"Updated the name of {user.email}.")
        if not user.active:
            user.active = True
            done.append(f"Reactivated {user.email}.")

    membership = membership_of(organisation, user.id)
    if membership is None:
        db.session.add(Membership(user=user, organisation=organisation, role=Role.ADMIN))
        done.append(f"Made {user.email} administrator of “{organisation.name}”.")
        action = "member.add"
    elif membership.role != Role.ADMIN:
        done.append(f"Upgraded {user.email} from {membership.role} to administrator "
                    f"of “{organisation.name}”.")
        membership.role = Role.ADMIN
        action = "member.change_role"
    else:
        done.append(f"{user.email} was already administrator of “{organisation.name}”.")
        action = None
    db.session.flush()
    if action is not None:
        record_event(organisation_id=organisation.id, actor=None, action=action,
                     object_type="user", object_id=user.id, role=Role.ADMIN.value,
                     via="create-admin")
    return AdminSetup(organisation=organisation, user=user, done=done)
