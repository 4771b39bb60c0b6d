"""``file://DIR`` transport: every e-mail becomes an ``.eml`` file, every SMS a ``.json`` file.

For development and demos (the embedded default writes to ``instance/outbox``). Files are
named after the message row, written to a temporary name and renamed, so a reader never sees
half a file and a second send of the same message overwrites rather than duplicates it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from backoffice.mail.transports import Envelope, Outcome, SendResult, TransportDown
from models.base import utcnow


class FileTransport:
    """Writes envelopes into a directory."""

    def __init__(self, directory: str, channel: str):
        self.directory = Path(directory)
        self.channel = channel

    def send(self, envelope: Envelope, ready=None) -> SendResult:
        if ready is not None:
            ready()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportDown(f"outbox {self.directory} is not writable: {exc}") from exc
        if self.channel == "sms":
            name = f"sms-{envelope.message_id:08d}.json"
            body = json.dumps(
                {
                    "id": envelope.message_id,
                    "to": envelope.recipient,
                    "from": envelope.sender,
                    "message": envelope.data,
                    "at": utcnow().isoformat(),
                },
                ensure_ascii=False,
                indent=1,
            ).encode()
        else:
            name = f"mail-{envelope.message_id:08d}.eml"
            body = envelope.data if isinstance(envelope.data, bytes) else envelope.data.encode()
        try:
            _write_atomically(self.directory / name, body)
        except OSError as exc:
            return SendResult(Outcome.RETRY, None, f"could not write {name}: {exc}")
        return SendResult(Outcome.SENT, None, f"written to {self.directory / name}", name)

    def close(self) -> None:
        pass


def _write_atomically(path: Path, body: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
