"""SMTP with STARTTLS, implicit TLS (SMTPS) and AUTH against a real aiosmtpd server."""

from __future__ import annotations

import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from backoffice.mail.transports import Envelope, Outcome, TransportDown, open_transport
from tests.fixtures.smtp import SinkHandler, free_port


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def check_password(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"sklep@hurtownia.pl",
        b"tajne has\xc5\x82o",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


def start(handler, **kwargs) -> Controller:
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=check_password,
        auth_required=True,
        **kwargs,
    )
    controller.start()
    return controller


def envelope():
    data = b"From: a@b.pl\r\nTo: c@d.pl\r\nSubject: TLS\r\nMessage-ID: <msg-1@b.pl>\r\n\r\nok\r\n"
    return Envelope(1, "c@d.pl", data, "sklep@hurtownia.pl")


USER = "sklep%40hurtownia.pl:tajne%20has%C5%82o"


def test_starttls_with_auth(tls_context):
    handler = SinkHandler()
    server = start(handler, tls_context=tls_context, require_starttls=True, auth_require_tls=True)
    try:
        url = f"smtp://{USER}@127.0.0.1:{server.port}?starttls=1&verify=0"
        transport = open_transport(url, "email")
        assert transport.send(envelope()).outcome == Outcome.SENT
        transport.close()
        assert len(handler.messages) == 1
        plain = open_transport(f"smtp://{USER}@127.0.0.1:{server.port}", "email")
        with pytest.raises(TransportDown):  # the server insists on STARTTLS before AUTH
            plain.send(envelope())
    finally:
        server.stop()


def test_smtps_with_auth_and_wrong_password(tls_context):
    handler = SinkHandler()
    server = start(handler, ssl_context=tls_context, auth_require_tls=False)
    try:
        url = f"smtps://{USER}@127.0.0.1:{server.port}?verify=0"
        assert open_transport(url, "email").send(envelope()).outcome == Outcome.SENT
        wrong = f"smtps://sklep%40hurtownia.pl:zle@127.0.0.1:{server.port}?verify=0"
        with pytest.raises(TransportDown):
            open_transport(wrong, "email").send(envelope())
        unverified = f"smtps://{USER}@127.0.0.1:{server.port}"
        with pytest.raises(TransportDown):  # self-signed: refused unless verify=0
            open_transport(unverified, "email").send(envelope())
        assert len(handler.messages) == 1
    finally:
        server.stop()
