"""``flask users create`` and friends."""

import click
from flask.cli import with_appcontext

from backoffice.actors import Actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services.users import create_user
from models.users import Role

CLI_ACTOR = Actor("system", None, "cli")


@click.group("users")
def users():
    """Manage staff accounts."""


@users.command("create")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="Repeat for several roles.",
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default=None)
@with_appcontext
def create(email, roles, password, name):
    """Create a staff user EMAIL with --role ROLE [--role …]."""
    try:
        user = create_user(
            CLI_ACTOR, email=email, name=name or email, roles=roles, password=password
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"created {user.email} with roles: {', '.join(sorted(user.roles))}")


COMMANDS = (users,)
