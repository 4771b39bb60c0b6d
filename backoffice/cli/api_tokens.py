"""``flask api-tokens create NAME --scope erp|shop``, ``list`` and ``revoke``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from backoffice.actors import Actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services.api_tokens import (
    SCOPES,
    create_token,
    find_token,
    list_tokens,
    revoke_token,
)

CLI_ACTOR = Actor("system", None, "cli")


@click.group("api-tokens")
def api_tokens():
    """Manage the tokens with which the ERP and the shop call /api/v1."""


@api_tokens.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="Repeat for several scopes.",
)
@with_appcontext
def create(name, scopes):
    """Create a token NAME; the secret is printed once and never shown again."""
    try:
        token, secret = create_token(CLI_ACTOR, name, list(scopes))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"created token #{token.id} {token.name!r} with scopes: {token.scopes}")
    click.echo("Copy the token now, it is shown only once:")
    click.echo(secret)


@api_tokens.command("list")
@with_appcontext
def list_():
    """Every token: id, prefix, name, scopes, created, last used, revoked."""
    rows = list_tokens()
    if not rows:
        click.echo("no API tokens")
        return
    for t in rows:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        click.echo(
            f"#{t.id}\t{t.prefix}…\t{t.name}\t[{t.scopes}]\t"
            f"created {t.created_at:%Y-%m-%d %H:%M}\tlast used {used}\t{state}"
        )


@api_tokens.command("revoke")
@click.argument("reference")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def revoke(reference, yes):
    """Revoke the token with id or prefix REFERENCE; it stops working at once."""
    try:
        token = find_token(reference)
        if not yes:
            click.confirm(f"Revoke token #{token.id} {token.name!r}?", abort=True)
        revoke_token(CLI_ACTOR, token)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"revoked token #{token.id} {token.name!r}")


COMMANDS = (api_tokens,)
