"""flask --app tracker create-admin"""

import click


@click.command("create-admin")
def create_admin_command():
    raise NotImplementedError
