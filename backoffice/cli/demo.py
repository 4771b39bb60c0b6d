"""``flask demo seed [--if-empty]`` and ``flask demo accounts`` (development only)."""

import time

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from backoffice.actors import Actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import demo

CLI_ACTOR = Actor("system", None, "cli demo")


@click.group("demo")
def demo_group():
    """Demo data for trying the console (refused outside development)."""


@demo_group.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when customers exist.")
@click.option("--customers", default=demo.Counts.customers, show_default=True, type=int)
@click.option("--products", default=demo.Counts.products, show_default=True, type=int)
@click.option("--orders", default=demo.Counts.orders, show_default=True, type=int)
@click.option(
    "--seed",
    "seed_value",
    default=2024,
    show_default=True,
    type=int,
    help="Random seed: the same seed gives the same data.",
)
@with_appcontext
def seed(if_empty, customers, products, orders, seed_value):
    """Load reproducible Polish demo data into an empty database."""
    try:
        demo.ensure_allowed()
        if if_empty and demo.has_data():
            click.echo(_("Demo data: the database already has customers; nothing to do."))
            return
        started = time.monotonic()
        counts = demo.Counts(
            customers=max(customers, 1), products=max(products, 1), orders=max(orders, 0)
        )
        summary = demo.seed(CLI_ACTOR, counts, seed_value)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    shown = ", ".join(f"{k}: {v}" for k, v in summary.items() if not k.startswith("requested"))
    seconds = f"{time.monotonic() - started:.1f}"
    click.echo(_("Demo data loaded in %(seconds)s s (%(counts)s).", seconds=seconds, counts=shown))


@demo_group.command("accounts")
@with_appcontext
def accounts():
    """Print the demo accounts (all with the password "demo")."""
    rows = demo.accounts()
    if not rows:
        click.echo(_("  No demo accounts: run `flask --app wsgi demo seed`."))
        return
    click.echo(_("  Demo accounts (password: %(password)s):", password=demo.PASSWORD))
    width = max(len(email) for email, _who in rows)
    for email, who in rows:
        click.echo(f"    {email.ljust(width)}  {who}")


COMMANDS = (demo_group,)
