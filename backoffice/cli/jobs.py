"""Background processing commands: worker, cron, and job maintenance."""

import click
from flask import current_app
from flask.cli import with_appcontext

from backoffice.queue import QUEUES, run_pending_jobs, run_worker, sweep_jobs
from backoffice.schedule import run_cron


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@with_appcontext
def worker(queues, burst):
    """Run an RQ worker (with the scheduler) on QUEUES (default: all)."""
    unknown = set(queues) - set(QUEUES)
    if unknown:
        raise click.BadParameter(f"unknown queue(s): {', '.join(sorted(unknown))}")
    run_worker(current_app._get_current_object(), list(queues), burst=burst)


@click.command("cron")
@click.option("--interval", default=15.0, show_default=True, help="Seconds between ticks.")
@click.option("--once", is_flag=True, help="Tick once and exit.")
@with_appcontext
def cron(interval, once):
    """Run the one process that queues periodic jobs and sweeps lost ones."""
    run_cron(current_app._get_current_object(), interval=interval, once=once)


@click.group("jobs")
def jobs():
    """Inspect and recover background jobs."""


@jobs.command("sweep")
@with_appcontext
def sweep():
    """Re-queue jobs lost by Redis or left running by dead workers."""
    click.echo(sweep_jobs())


@jobs.command("run")
@with_appcontext
def run():
    """Run every due pending job in this process (no Redis needed)."""
    click.echo(f"ran {run_pending_jobs()} job(s)")


COMMANDS = (worker, cron, jobs)
