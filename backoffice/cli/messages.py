"""Communication commands: read bounces, sweep the outbox, send a test message."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from backoffice.extensions import db


@click.group("messages")
def messages():
    """E-mail and SMS: bounces, the outbox sweep, test messages."""


@messages.command("fetch-bounces")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, exists=True),
    help="Read *.eml DSN files from this directory (moved to DIR/processed).",
)
@click.option("--imap", "imap_url", help="Read unseen messages of imaps://user:pass@host/FOLDER.")
@click.option(
    "--delete", is_flag=True, help="IMAP: delete processed messages instead of flagging them seen."
)
@with_appcontext
def fetch_bounces(directory, imap_url, delete):
    """Mark bounced messages from delivery status notifications (RFC 3464)."""
    from backoffice.services.message_delivery import record_dsn

    if bool(directory) == bool(imap_url):
        raise click.UsageError("give exactly one of --dir or --imap")
    seen = recorded = 0
    if directory:
        done = Path(directory) / "processed"
        done.mkdir(exist_ok=True)
        for path in sorted(Path(directory).glob("*.eml")):
            recorded += len(record_dsn(path.read_bytes(), source="dsn-file"))
            db.session.commit()
            path.replace(done / path.name)
            seen += 1
    else:
        from backoffice.mail.imap import Mailbox

        with Mailbox(imap_url) as box:
            for uid, raw in box.unseen():
                recorded += len(record_dsn(raw, source="imap"))
                db.session.commit()
                box.mark_done(uid, delete=delete)
                seen += 1
    click.echo(f"read {seen} message(s), recorded {recorded} delivery report(s)")


@messages.command("sweep")
@with_appcontext
def sweep():
    """Re-queue messages stuck in sending and dispatch due ones (cron does this every minute)."""
    from backoffice.services.message_recovery import sweep_messages

    click.echo(sweep_messages())


@messages.command("send-test")
@click.option("--to", "address", required=True, help="E-mail address or phone number.")
@click.option("--channel", type=click.Choice(["email", "sms"]), default="email")
@click.option("--now", is_flag=True, help="Send in this process instead of through the queue.")
@with_appcontext
def send_test(address, channel, now):
    """Queue (or send) a test message to check MAIL_URL / SMS_URL."""
    from backoffice.actors import SYSTEM
    from backoffice.services.message_register import queue_test_message
    from backoffice.services.message_sending import send_due_messages

    message = queue_test_message(SYSTEM, channel, address)
    db.session.commit()
    if now:
        send_due_messages(channel)
        db.session.refresh(message)
    click.echo(
        f"message #{message.id} to {message.recipient}: {message.status.value}"
        + (f" ({message.last_error})" if message.last_error else "")
    )


COMMANDS = (messages,)
