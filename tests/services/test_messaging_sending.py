"""The sender: real SMTP conversations with the sink, outcomes per reply, Message-ID, rows."""

from __future__ import annotations

import email.policy

import pytest
from sqlalchemy import select

from backoffice.services.message_recovery import sweep_messages
from backoffice.services.message_sending import send_due_messages
from models.messaging import AttemptOutcome, Message, MessageAttempt, MessageStatus
from tests.factories_messaging import make_message


@pytest.fixture
def smtp_app(app, smtp_sink, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_sink.url)
    monkeypatch.setitem(app.config, "MAIL_RATE_PER_SECOND", 0)
    monkeypatch.setitem(app.config, "MAIL_FROM", "Hurtownia Łódź <sklep@hurtownia.example.pl>")
    return app


def reload(db, message):
    db.session.expire_all()
    return db.session.get(Message, message.id)


def test_sends_both_parts_with_polish_text_and_stable_message_id(db, smtp_app, smtp_sink):
    message = make_message(headers={"List-Unsubscribe": "<https://example.com/u/abc>"})
    db.session.commit()
    stats = send_due_messages("email")
    assert stats["sent"] == 1
    [got] = smtp_sink.messages
    assert got["Message-ID"] == f"<msg-{message.id}@hurtownia.example.pl>"
    assert got["Subject"] == message.subject
    assert "Zażółć Gęślą" in str(got["To"]) and message.recipient in str(got["To"])
    assert "Hurtownia Łódź" in str(got["From"])
    assert got["List-Unsubscribe"] == "<https://example.com/u/abc>"
    text = got.get_body(("plain",)).get_content()
    html = got.get_body(("html",)).get_content()
    assert "Zażółć gęślą jaźń" in text
    assert 'style="color: #c00"' in html or "color:#c00" in html.replace(" ", "")
    assert "<style>" not in html  # CSS was inlined
    row = reload(db, message)
    assert row.status == MessageStatus.SENT and row.sent_at is not None
    assert row.provider_reply.startswith("250")
    [attempt] = row.attempt_rows
    assert attempt.outcome == AttemptOutcome.SENT and attempt.code == 250


def test_raw_bytes_use_crlf_line_endings(db, smtp_app, smtp_sink, app):
    from backoffice.services.message_sending import Outgoing, envelope_for

    message = make_message(body_text="linia 1\nlinia 2\n")
    db.session.commit()
    row = Outgoing(
        message.id, "email", message.recipient, None, "Ś", None, message.body_text, None, None, 1
    )
    data = envelope_for(row).data
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    again = envelope_for(row).data
    parsed = email.message_from_bytes(again, policy=email.policy.default)
    assert parsed["Message-ID"] == f"<msg-{message.id}@hurtownia.example.pl>"


def test_4xx_is_retried_later_then_sent(db, smtp_app, smtp_sink, monkeypatch):
    message = make_message()
    db.session.commit()
    smtp_sink.replies.append("451 4.3.0 Try again later")
    assert send_due_messages("email")["retry"] == 1
    row = reload(db, message)
    assert row.status == MessageStatus.QUEUED and row.attempts == 1
    assert "451" in row.last_error and row.next_attempt_at > row.created_at
    assert send_due_messages("email")["sent"] == 0  # not due yet
    row.next_attempt_at = row.created_at
    db.session.commit()
    assert send_due_messages("email")["sent"] == 1
    row = reload(db, message)
    assert row.status == MessageStatus.SENT and row.attempts == 2
    assert [a.outcome for a in row.attempt_rows] == [AttemptOutcome.RETRY, AttemptOutcome.SENT]
    assert len(smtp_sink.messages) == 1


def test_5xx_fails_without_retry(db, smtp_app, smtp_sink):
    message = make_message()
    db.session.commit()
    smtp_sink.replies.append("550 5.1.1 Mailbox does not exist")
    assert send_due_messages("email")["failed"] == 1
    row = reload(db, message)
    assert row.status == MessageStatus.FAILED and "550" in row.last_error
    assert row.failed_at is not None and smtp_sink.messages == []


def test_third_temporary_failure_is_final(db, smtp_app, smtp_sink):
    message = make_message(attempts=2)
    db.session.commit()
    smtp_sink.replies.append("452 4.2.2 Mailbox full")
    send_due_messages("email")
    row = reload(db, message)
    assert row.status == MessageStatus.FAILED and row.attempts == 3


def test_smtp_down_postpones_without_using_a_try(db, app, monkeypatch):
    from tests.fixtures.smtp import free_port

    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{free_port()}")
    message = make_message()
    db.session.commit()
    assert send_due_messages("email")["postponed"] == 1
    row = reload(db, message)
    assert row.status == MessageStatus.QUEUED and row.attempts == 0
    assert "unavailable" in row.last_error
    assert row.next_attempt_at > row.created_at


def test_one_connection_serves_a_whole_batch(db, smtp_app, smtp_sink, monkeypatch):
    import smtplib

    connects = []
    original = smtplib.SMTP.connect

    def counting(self, *args, **kwargs):
        connects.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counting)
    for _ in range(5):
        make_message()
    db.session.commit()
    assert send_due_messages("email")["sent"] == 5
    assert len(connects) == 1 and len(smtp_sink.messages) == 5


def test_sweep_requeues_a_row_left_sending(db, app, monkeypatch):
    import datetime as dt

    from models.base import utcnow

    message = make_message(
        status=MessageStatus.SENDING,
        attempts=1,
        claimed_at=utcnow() - dt.timedelta(hours=1),
    )
    fresh = make_message(status=MessageStatus.SENDING, attempts=1, claimed_at=utcnow())
    db.session.commit()
    result = sweep_messages()
    assert result["requeued"] == 1
    assert reload(db, message).status == MessageStatus.QUEUED
    assert reload(db, fresh).status == MessageStatus.SENDING
    lost = db.session.scalars(
        select(MessageAttempt).where(MessageAttempt.message_id == message.id)
    ).one()
    assert lost.outcome == AttemptOutcome.LOST


def test_attachment_from_storage_with_polish_name(db, smtp_app, smtp_sink, app):
    from pathlib import Path

    folder = Path(app.config["STORAGE_DIR"]) / "oferty"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "OF-1.pdf").write_bytes(b"%PDF-1.4 oferta")
    make_message(
        attachments=[
            {
                "filename": "oferta żółta.pdf",
                "path": "oferty/OF-1.pdf",
                "mimetype": "application/pdf",
            }
        ],
        body_text="From the shop:\n.\nkoniec",
    )
    db.session.commit()
    assert send_due_messages("email")["sent"] == 1
    [got] = smtp_sink.messages
    [attachment] = list(got.iter_attachments())
    assert attachment.get_filename() == "oferta żółta.pdf"
    assert attachment.get_content() == b"%PDF-1.4 oferta"
    plain = got.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain.startswith("From the shop:\n.\nkoniec")  # no ">From", dot kept


@pytest.mark.parametrize("path", ["brak/nie-ma.pdf", "../../etc/passwd"])
def test_missing_or_escaping_attachment_is_retried_not_sent(db, smtp_app, smtp_sink, path):
    message = make_message(
        attachments=[{"filename": "x.pdf", "path": path, "mimetype": "application/pdf"}]
    )
    db.session.commit()
    assert send_due_messages("email")["retry"] == 1
    row = reload(db, message)
    assert row.status == MessageStatus.QUEUED and "attachment" in row.last_error
    assert smtp_sink.messages == []


def test_fast_header_path_writes_what_stock_compat32_writes():
    import email.policy
    import random

    from backoffice.mail.compose import SMTP_POLICY, build_email

    stock = email.policy.compat32.clone(linesep="\r\n", mangle_from_=False)
    rng = random.Random(7)
    words = ["Zamówienie", "ZAM/1/2026", "przyjęte", "a", "bb", "  ", "x" * 70, "\t", "ok"]
    for _ in range(200):
        subject = "".join(rng.choice(words) + rng.choice([" ", "", "  "]) for _ in range(5))
        msg = build_email(
            sender="Sklep Łódź <s@sklep.pl>",
            to="jan@klient.pl",
            to_name="Jan",
            subject=subject.strip(),
            html="<p>Ż</p>",
            text="ż",
            message_id="<msg-1@sklep.pl>",
            headers={"X-Campaign": rng.choice(words).strip() or "x"},
        )
        assert msg.as_bytes(policy=SMTP_POLICY) == msg.as_bytes(policy=stock)
