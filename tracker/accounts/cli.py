"""flask --app tracker create-admin --email E --organisation NAME [--password P] [--name N]

Creates or updates an administrator: the organisation if it does not exist yet, the account
(or its new password), and the admin membership (upgrading a hiring lead). Safe to run again.
Leave out ``--password`` to be asked for it without it landing in the shell history.
"""

from __future__ import annotations

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import with_appcontext

from tracker.accounts import services
from tracker.accounts.forms import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from tracker.db import db


def _check_email(ctx, param, value: str) -> str:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.BadParameter(f"“{value}” is not a valid email address ({error}).") from None
    return value


def _check_password(ctx, param, value: str) -> str:
    if len(value) < PASSWORD_MIN_LENGTH:
        raise click.BadParameter(
            f"the password must have at least {PASSWORD_MIN_LENGTH} characters "
            f"(it has {len(value)})."
        )
    if len(value) > PASSWORD_MAX_LENGTH:
        raise click.BadParameter(
            f"the password must have at most {PASSWORD_MAX_LENGTH} characters."
        )
    return value


def _check_name(ctx, param, value: str) -> str:
    if not value or not value.strip():
        raise click.BadParameter("the organisation's name cannot be empty.")
    if len(value.strip()) > 200:
        raise click.BadParameter("the organisation's name has at most 200 characters.")
    return value.strip()


def _check_person_name(ctx, param, value: str | None) -> str | None:
    if value is not None and len(value.strip()) > 200:
        raise click.BadParameter("a name has at most 200 characters.")
    return value


@click.command("create-admin")
@click.option("--email", required=True, callback=_check_email, help="The administrator's email.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              callback=_check_password,
              help=f"At least {PASSWORD_MIN_LENGTH} characters; asked for when left out.")
@click.option("--organisation", "organisation_name", required=True, callback=_check_name,
              help="The organisation's name (or slug); created when it does not exist.")
@click.option("--name", default=None, callback=_check_person_name,
              help="The administrator's full name.")
@with_appcontext
def create_admin_command(email: str, password: str, organisation_name: str,
                         name: str | None) -> None:
    """Create or update an organisation administrator."""
    setup = services.create_admin(
        email=email, password=password, organisation_name=organisation_name, name=name
    )
    db.session.commit()
    for line in setup.done:
        click.echo(line)
