"""SMS through the SMSAPI.pl REST gateway (the most common Polish one; SerwerSMS and
JustSend work the same way: token auth, sender name, JSON reply with id and price).

``SMS_URL=smsapi://TOKEN@api.smsapi.pl`` (HTTPS; ``smsapi+http://`` for a local test server;
the path defaults to ``/sms.do``; query options ``test=1`` — validate without sending —
and ``timeout=SECONDS``). One request per message:

    POST /sms.do   Authorization: Bearer TOKEN
    to=48500100200&message=…&from=SENDER&format=json&encoding=utf-8&idx=bo-42

A success answers ``{"count": 1, "list": [{"id": "…", "points": 0.16, "status": "QUEUE"}]}``;
a refusal ``{"error": 13, "message": "No correct phone numbers", "invalid_numbers": […]}``.
Gateway overload / system errors (HTTP 429 and 5xx, error codes 201, 203, 999) and network
failures are retried; everything else (bad number, bad sender, no credit, bad token) fails.
``idx`` carries our message id, so delivery reports can be matched even without the
gateway's id.
"""

from __future__ import annotations

import requests

from backoffice.mail.transports import Envelope, Outcome, SendResult, TransportUrl

#: SMSAPI error codes that mean "try again later".
TRANSIENT_ERRORS = frozenset({201, 203, 999})


class SmsApiTransport:
    """Posts one request per SMS over a kept-alive HTTP session."""

    def __init__(self, url: TransportUrl, timeout: float | None = None):
        token = url.username or url.password
        if not token:
            raise ValueError("SMS_URL must carry the API token: smsapi://TOKEN@api.smsapi.pl")
        scheme = "http" if url.scheme == "smsapi+http" else "https"
        port = f":{url.port}" if url.port else ""
        self.endpoint = f"{scheme}://{url.host}{port}{url.path or '/sms.do'}"
        self.test = url.flag("test")
        self.timeout = timeout or float(url.options.get("timeout", 15))
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def send(self, envelope: Envelope, ready=None) -> SendResult:
        if ready is not None:
            ready()
        form = {
            "to": envelope.recipient.lstrip("+"),
            "message": envelope.data,
            "from": envelope.sender,
            "format": "json",
            "encoding": "utf-8",
            "idx": f"bo-{envelope.message_id}",
        }
        if self.test:
            form["test"] = "1"
        try:
            resp = self.session.post(self.endpoint, data=form, timeout=self.timeout)
        except requests.RequestException as exc:
            return SendResult(Outcome.RETRY, None, f"gateway unreachable: {exc}")
        return interpret(resp.status_code, resp.text)

    def close(self) -> None:
        self.session.close()


def interpret(status: int, body: str) -> SendResult:
    """The gateway's HTTP status and JSON body → a SendResult."""
    import json

    reply = f"HTTP {status}: {body[:500]}"
    if status == 429 or status >= 500:
        return SendResult(Outcome.RETRY, status, reply)
    try:
        data = json.loads(body)
    except ValueError:
        return SendResult(Outcome.RETRY if status < 400 else Outcome.FAILED, status, reply)
    if isinstance(data, dict) and data.get("error"):
        code = int(data.get("error") or 0)
        outcome = Outcome.RETRY if code in TRANSIENT_ERRORS else Outcome.FAILED
        return SendResult(outcome, status, f"error {code}: {data.get('message', '')}")
    items = data.get("list") if isinstance(data, dict) else None
    if status >= 400 or not items:
        return SendResult(Outcome.FAILED, status, reply)
    first = items[0]
    if first.get("error"):
        return SendResult(Outcome.FAILED, status, f"error {first['error']}: {reply}")
    points = first.get("points")
    summary = f"{first.get('status', 'OK')}; points {points}" if points is not None else reply
    return SendResult(Outcome.SENT, status, summary, str(first.get("id") or "") or None)


#: The GSM 03.38 basic character set; anything else makes the SMS UCS-2 (70 chars a part).
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVW"
    "XYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€")


def sms_parts(text: str) -> tuple[int, str]:
    """How many SMS parts the text takes and its encoding ("GSM-7" or "UCS-2")."""
    if all(c in GSM7 or c in GSM7_EXTENDED for c in text):
        length = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        return (1 if length <= 160 else -(-length // 153)), "GSM-7"
    length = len(text.encode("utf-16-le")) // 2
    return (1 if length <= 70 else -(-length // 67)), "UCS-2"
