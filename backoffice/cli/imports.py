"""``flask import customers|products FILE``: the console's import, from the command line.

Exit code 0 when imported (or, with --dry-run, when the file is correct); 1 with one line per
problem on stderr when any row is bad — then nothing is written.
"""

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from backoffice.actors import Actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import imports as import_service

CLI_ACTOR = Actor("system", None, "cli import")


@click.group("import")
def import_group():
    """Import customers or products from a CSV or XLSX file (all rows or none)."""


def _command(kind: str):
    @import_group.command(kind)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--no-create-groups",
        is_flag=True,
        help="Treat unknown groups as errors instead of creating them.",
    )
    @click.option("--dry-run", is_flag=True, help="Check the file and count, write nothing.")
    @with_appcontext
    def run(file: Path, no_create_groups: bool, dry_run: bool):
        try:
            result = import_service.run_import(
                CLI_ACTOR,
                kind,
                file.name,
                file.read_bytes(),
                create_groups=not no_create_groups,
                dry_run=dry_run,
            )
        except import_service.ImportFailed as exc:
            db.session.rollback()
            for line in import_service.bad_row_lines(exc):
                click.echo(line, err=True)
            click.echo(exc.message, err=True)
            raise SystemExit(1) from exc
        except DomainError as exc:
            db.session.rollback()
            click.echo(f"{file.name}: {exc.message}", err=True)
            raise SystemExit(1) from exc
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        _report(file.name, result, dry_run)

    run.__doc__ = f"Import {kind} from FILE (CSV or XLSX; see docs/import.md)."
    return run


def _report(name: str, result, dry_run: bool) -> None:
    counts = {
        "file": name,
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
    if dry_run:
        message = _(
            "%(file)s is correct: %(rows)d rows; importing would create %(created)d, "
            "update %(updated)d, leave %(unchanged)d unchanged.",
            **counts,
        )
    else:
        message = _(
            "%(file)s: %(rows)d rows; %(created)d created, %(updated)d updated, "
            "%(unchanged)d unchanged.",
            **counts,
        )
    click.echo(message)
    if result.groups_created:
        click.echo(_("New groups: %(names)s", names=", ".join(result.groups_created)))
    if result.ignored_columns:
        click.echo(_("Ignored columns: %(names)s", names=", ".join(result.ignored_columns)))


customers = _command("customers")
products = _command("products")

COMMANDS = (import_group,)
