"""E-mail and SMS plumbing shared by every sender: message building, transports, rate limits.

* ``compose.build_email`` — a MIME message (HTML with inlined CSS + plain text, attachments,
  deterministic Message-ID) serialised with CRLF line endings;
* ``transports.open_transport`` — SMTP / SMTPS / STARTTLS, ``file://`` outboxes and the
  SMSAPI.pl HTTP gateway behind one ``send()`` interface with classified results;
* ``ratelimit.RateLimiter`` — messages per second per channel, shared through Redis;
* ``dsn`` and ``imap`` — reading delivery status notifications (bounces).

Nothing here touches the database; ``backoffice/services/message_sending.py`` drives it.
"""
