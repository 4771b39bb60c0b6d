"""Transports against real local servers: the SMSAPI.pl adapter, the file outbox, URLs."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from backoffice.mail.transports import Envelope, Outcome, TransportUrl, describe, open_transport
from backoffice.services.message_sending import send_due_messages
from models.messaging import Channel, Message, MessageStatus
from tests.factories_messaging import make_message


class FakeSmsApi:
    """A local HTTP server answering like SMSAPI.pl's /sms.do; scripted replies."""

    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.requests.append(
                    {"auth": self.headers.get("Authorization"), "path": self.path, "form": form}
                )
                status, body = (
                    fake.replies.pop(0)
                    if fake.replies
                    else (
                        200,
                        {
                            "count": 1,
                            "list": [
                                {
                                    "id": f"SMS{len(fake.requests)}",
                                    "points": 0.16,
                                    "number": form.get("to"),
                                    "status": "QUEUE",
                                    "error": None,
                                }
                            ],
                        },
                    )
                )
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"smsapi+http://sekretny-token@127.0.0.1:{self.server.server_port}/sms.do"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_gateway():
    gateway = FakeSmsApi()
    yield gateway
    gateway.stop()


def envelope(text="Zamówienie ZAM/1 wysłane — żółć"):
    return Envelope(7, "+48600100200", text, "Hurtownia")


def test_smsapi_request_shape_and_success(sms_gateway):
    transport = open_transport(sms_gateway.url, "sms")
    result = transport.send(envelope())
    transport.close()
    assert result.outcome == Outcome.SENT and result.provider_id == "SMS1"
    assert "points 0.16" in result.reply
    [req] = sms_gateway.requests
    assert req["auth"] == "Bearer sekretny-token" and req["path"] == "/sms.do"
    assert req["form"] == {
        "to": "48600100200",
        "message": "Zamówienie ZAM/1 wysłane — żółć",
        "from": "Hurtownia",
        "format": "json",
        "encoding": "utf-8",
        "idx": "bo-7",
    }


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, {"error": 13, "message": "No correct phone numbers"}, Outcome.FAILED),
        (200, {"error": 101, "message": "Bad credentials"}, Outcome.FAILED),
        (200, {"error": 203, "message": "Too many requests"}, Outcome.RETRY),
        (503, {"message": "maintenance"}, Outcome.RETRY),
        (429, {"message": "slow down"}, Outcome.RETRY),
    ],
)
def test_smsapi_errors_are_classified(sms_gateway, status, body, outcome):
    sms_gateway.replies.append((status, body))
    assert open_transport(sms_gateway.url, "sms").send(envelope()).outcome == outcome


def test_sms_gateway_down_is_a_retry():
    from tests.fixtures.smtp import free_port

    url = f"smsapi+http://t@127.0.0.1:{free_port()}"
    assert open_transport(url, "sms", timeout=2).send(envelope()).outcome == Outcome.RETRY


def test_sms_dispatch_records_gateway_id(db, app, sms_gateway, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_URL", sms_gateway.url)
    monkeypatch.setitem(app.config, "SMS_RATE_PER_SECOND", 0)
    message = make_message(channel="sms", recipient="+48600100200", body_text="Paczka w drodze")
    db.session.commit()
    assert send_due_messages("sms")["sent"] == 1
    db.session.expire_all()
    row = db.session.get(Message, message.id)
    assert row.status == MessageStatus.SENT and row.provider_id == "SMS1"
    assert sms_gateway.requests[0]["form"]["idx"] == f"bo-{message.id}"


def test_file_outbox_writes_eml_with_both_parts(db, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_URL", f"file://{tmp_path}/outbox")
    message = make_message()
    db.session.commit()
    send_due_messages("email")
    [path] = (tmp_path / "outbox").glob("*.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"].startswith(f"<msg-{message.id}@")
    assert "Zażółć" in parsed.get_body(("plain",)).get_content()
    assert db.session.scalar(select(Message.provider_id)) == path.name


def test_transport_urls():
    url = TransportUrl.parse("smtp://j%40n:p%2Fss@mail.example.pl:587?starttls=1")
    assert (url.username, url.password, url.port, url.flag("starttls")) == (
        "j@n",
        "p/ss",
        587,
        True,
    )
    assert describe("smtps://u:secret@mx.example.pl:465") == "smtps://u:***@mx.example.pl:465"
    assert TransportUrl.parse("file://instance/outbox").path == "instance/outbox"
    assert TransportUrl.parse("file:///var/outbox").path == "/var/outbox"
    with pytest.raises(ValueError):
        open_transport("http://x", Channel.EMAIL.value)
