"""``flask returns seed-dictionaries``: the default return reasons and goods conditions."""

import click
from flask.cli import with_appcontext

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services.return_dictionaries import seed_dictionaries


@click.group("returns")
def returns():
    """Returns (RMA) module."""


@returns.command("seed-dictionaries")
@with_appcontext
def seed():
    """Add the default reasons and conditions to empty dictionaries."""
    added = seed_dictionaries(Actor("system", None, "cli"))
    db.session.commit()
    click.echo(f"added {added['reasons']} reasons and {added['conditions']} conditions")


COMMANDS = (returns,)
