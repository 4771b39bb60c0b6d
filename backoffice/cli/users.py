"""``flask users create`` and friends."""

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from backoffice.actors import Actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services.users import create_user, reset_password, set_active
from models.users import Role, User

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


@users.command("reset-password")
@click.argument("email")
@with_appcontext
def reset_password_command(email):
    """Give the staff user EMAIL a new generated password (printed once), e.g. a locked-out
    administrator; the account is activated too."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no staff user {email}")
    try:
        password = reset_password(CLI_ACTOR, user)
        set_active(CLI_ACTOR, user, True)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"new password for {user.email}: {password}")


COMMANDS = (users,)
