"""flask --app tracker demo"""

import click


@click.command("demo")
def demo_command():
    raise NotImplementedError
