"""flask --app tracker demo [--if-empty]: load the demo organisations, accounts and offers."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from tracker.db import db
from tracker.demo import data, services


@click.command("demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing if any organisation exists (used by `make run`).",
)
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load the demo data: two organisations, three published offers, three accounts.

    Safe to run again: only what is missing is added (organisations by slug, accounts by
    email, offers by title); nothing existing is changed or deleted.
    """
    if if_empty and services.has_organisations():
        click.echo("The database already has organisations: demo data not loaded.")
        return
    report = services.load_demo()
    db.session.commit()
    if not report.created_anything:
        click.echo("Demo data already present: nothing to add.")
        return
    click.echo(
        f"Demo data loaded: {len(report.organisations)} organisation(s), "
        f"{len(report.users)} account(s), {report.memberships} membership(s), "
        f"{len(report.postings)} offer(s), {report.applications} application(s)."
    )
    for title in report.postings:
        click.echo(f"  published: {title}")
    if report.users:
        click.echo(f"Demo accounts ({', '.join(report.users)}) use the password "
                   f"{data.DEMO_PASSWORD!r}.")
