"""Delivery reports: DSN bounces from files and IMAP, the signed webhook, suppression."""

from __future__ import annotations

import json
import socketserver
import threading

import pytest
from sqlalchemy import select

from backoffice.mail.dsn import parse_dsn
from backoffice.services.consents import is_suppressed
from backoffice.services.message_delivery import record_dsn, signature
from models.base import utcnow
from models.messaging import DeliveryEvent, Message, MessageStatus
from tests.factories_messaging import make_message

SECRET = "webhook-sekret"


def sent(**overrides):
    return make_message(status=MessageStatus.SENT, sent_at=utcnow(), **overrides)


def make_dsn(
    message_id: int,
    recipient: str,
    status="5.1.1",
    action="failed",
    report_id="<dsn-1@mx.example.pl>",
    with_headers_part=True,
) -> bytes:
    """A DSN as Postfix sends it: text, delivery-status, the original headers."""
    status_text = (
        "Reporting-MTA: dns; mx.example.pl\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: {action}\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; 550 {status} User unknown\n"
    )
    headers = f"Message-ID: <msg-{message_id}@example.com>\nSubject: Zamówienie\nTo: {recipient}\n"
    body = (
        "From: MAILER-DAEMON@mx.example.pl\r\nTo: noreply@example.com\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: {report_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n"
        f"--b1\r\nContent-Type: message/delivery-status\r\n\r\n{status_text}\r\n"
    )
    if with_headers_part:
        body += f"--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n{headers}\r\n"
    return (body + "--b1--\r\n").encode()


def test_parse_dsn_reads_recipient_status_and_our_id():
    [bounce] = parse_dsn(make_dsn(42, "jan@klient.example.pl"))
    assert bounce.recipient == "jan@klient.example.pl" and bounce.status == "5.1.1"
    assert bounce.message_id == 42 and bounce.is_hard
    assert "User unknown" in bounce.diagnostic
    assert parse_dsn(b"Subject: hello\r\n\r\nnot a report") == []


def test_hard_bounce_marks_message_and_suppresses_address(db):
    message = sent(recipient="zly@klient.example.pl")
    events = record_dsn(make_dsn(message.id, "zly@klient.example.pl"))
    assert len(events) == 1
    assert message.status == MessageStatus.BOUNCED and message.bounced_at is not None
    assert is_suppressed("zly@klient.example.pl")
    assert record_dsn(make_dsn(message.id, "zly@klient.example.pl")) == []  # read twice


def test_soft_bounce_does_not_suppress(db):
    message = sent(recipient="pelna@klient.example.pl")
    record_dsn(make_dsn(message.id, "pelna@klient.example.pl", status="4.2.2", action="delayed"))
    assert message.status == MessageStatus.SENT
    assert not is_suppressed("pelna@klient.example.pl")
    assert db.session.scalar(select(DeliveryEvent.kind)).value == "delayed"


def test_fetch_bounces_from_a_directory(db, runner, tmp_path):
    message = sent(recipient="katalog@klient.example.pl")
    db.session.commit()
    (tmp_path / "b1.eml").write_bytes(make_dsn(message.id, "katalog@klient.example.pl"))
    (tmp_path / "other.eml").write_bytes(b"Subject: hi\r\n\r\nnothing")
    result = runner.invoke(args=["messages", "fetch-bounces", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "read 2 message(s), recorded 1" in result.output
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == ["b1.eml", "other.eml"]
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == MessageStatus.BOUNCED


class FakeImap:
    """A tiny IMAP4rev1 server: LOGIN, SELECT, UID SEARCH/FETCH/STORE, CLOSE, LOGOUT."""

    def __init__(self, messages: list[bytes]):
        self.messages = {i + 1: {"raw": raw, "seen": False} for i, raw in enumerate(messages)}
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"* OK fake IMAP ready\r\n")
                for line in self.rfile:
                    tag, cmd, *rest = line.decode().strip().split(" ", 2)
                    args = rest[0] if rest else ""
                    if not fake.command(self.wfile, tag, cmd.upper(), args):
                        break

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def command(self, out, tag, cmd, args) -> bool:
        if cmd == "CAPABILITY":
            out.write(b"* CAPABILITY IMAP4rev1\r\n")
        elif cmd == "SELECT":
            out.write(f"* {len(self.messages)} EXISTS\r\n".encode())
        elif cmd == "UID":
            sub, _, rest = args.partition(" ")
            uid = rest.split(" ")[0]
            if sub.upper() == "SEARCH":
                ids = " ".join(str(u) for u, m in self.messages.items() if not m["seen"])
                out.write(f"* SEARCH {ids}\r\n".encode())
            elif sub.upper() == "FETCH":
                raw = self.messages[int(uid)]["raw"]
                out.write(f"* {uid} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode())
                out.write(raw + b")\r\n")
            elif sub.upper() == "STORE":
                self.messages[int(uid)]["seen"] = True
                out.write(f"* {uid} FETCH (FLAGS (\\Seen))\r\n".encode())
        elif cmd == "LOGOUT":
            out.write(b"* BYE\r\n" + f"{tag} OK LOGOUT done\r\n".encode())
            return False
        out.write(f"{tag} OK {cmd} done\r\n".encode())
        out.flush()
        return True

    @property
    def url(self):
        return f"imap://bounces:haslo@127.0.0.1:{self.server.server_address[1]}/INBOX"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_fetch_bounces_from_imap(db, runner):
    message = sent(recipient="imap@klient.example.pl")
    db.session.commit()
    imap = FakeImap([make_dsn(message.id, "imap@klient.example.pl"), b"Subject: x\r\n\r\ny"])
    try:
        result = runner.invoke(args=["messages", "fetch-bounces", "--imap", imap.url])
        assert result.exit_code == 0, result.output
        assert "read 2 message(s), recorded 1" in result.output
        assert all(m["seen"] for m in imap.messages.values())
    finally:
        imap.stop()
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == MessageStatus.BOUNCED


@pytest.fixture
def hook(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "DELIVERY_WEBHOOK_SECRET", SECRET)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the hook must not need it

    def post(channel, body: bytes, content_type="application/json", sign=SECRET):
        headers = {"X-Signature": f"sha256={signature(sign, body)}"} if sign else {}
        return client.post(
            f"/hooks/delivery/{channel}", data=body, headers=headers, content_type=content_type
        )

    return post


def test_webhook_refuses_a_bad_or_missing_signature(db, hook):
    body = json.dumps({"events": []}).encode()
    assert hook("sms", body, sign="wrong").status_code == 401
    assert hook("sms", body, sign=None).status_code == 401
    assert hook("fax", body).status_code == 404


def test_webhook_marks_sms_delivered_by_provider_id(db, hook):
    message = sent(channel="sms", recipient="+48600100200", provider_id="GW-1")
    db.session.commit()
    body = json.dumps(
        {
            "events": [
                {
                    "id": "e1",
                    "provider_id": "GW-1",
                    "status": "delivered",
                    "at": "2026-05-04T10:00:00+02:00",
                }
            ]
        }
    ).encode()
    resp = hook("sms", body)
    assert resp.status_code == 200 and resp.json == {"received": 1, "recorded": 1}
    assert hook("sms", body).json == {"received": 1, "recorded": 0}  # repeated report
    db.session.expire_all()
    row = db.session.get(Message, message.id)
    assert row.status == MessageStatus.DELIVERED and row.delivered_at.hour == 8


def test_webhook_accepts_smsapi_callback_fields(db, hook):
    message = sent(channel="sms", recipient="+48600100200", provider_id="X")
    db.session.commit()
    body = (
        f"MsgId=ABC123&status=406&status_name=UNDELIVERED&idx=bo-{message.id}"
        "&to=48600100200&donedate=1780000000"
    ).encode()
    resp = hook("sms", body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "OK"
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == MessageStatus.FAILED


def test_webhook_email_complaint_suppresses(db, hook):
    message = sent(recipient="skarga@klient.example.pl")
    db.session.commit()
    body = json.dumps(
        {"id": "c1", "message_id": f"<msg-{message.id}@example.com>", "status": "complained"}
    ).encode()
    assert hook("email", body).status_code == 200
    assert is_suppressed("skarga@klient.example.pl")
