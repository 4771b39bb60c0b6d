"""Newsletter content: sandboxed personalisation, sanitised HTML, inlined CSS, plain text,
signed tracked links, the blocks read from the database, and the fast MIME builder."""

from __future__ import annotations

import email
import email.policy
from decimal import Decimal

import pytest

from backoffice.errors import ValidationFailed
from backoffice.services import newsletter_blocks as blocks
from backoffice.services.newsletter_content import Personal, Urls, compile_campaign, render
from backoffice.services.newsletter_links import preview_urls, sign, verify
from backoffice.services.newsletter_mime import build_message
from backoffice.services.newsletter_sandbox import check_source
from tests.factories import make_product
from tests.factories_newsletters import make_campaign, make_code_batch

JAN = Personal("jan@klient.example.pl", "Jan Żółć", "Hurtownia <Gęś>", 1250, "KOD-ABC", 7)
NOBODY = Personal("anna@klient.example.pl")
URLS = Urls("https://b2b.example.pl/nl/u/7/x", "https://b2b.example.pl/nl/p/7/x", "", None)


def _render(campaign, person=JAN, urls=URLS, ids=None):
    compiled = compile_campaign(campaign, blocks.snapshot(campaign.blocks), ids)
    return render(compiled, person, urls), compiled


@pytest.mark.parametrize(
    "source, problem",
    [
        ("{{ '<b>'|safe }}", "safe"),
        ("{% autoescape false %}{{ x }}{% endautoescape %}", "niedozwolona"),
        ("{{ ''.__class__.__mro__ }}", "piaskownicy"),
        ("{% include 'x.html' %}", "niedozwolona"),
        ("{{ recipient.nick }}", "nieznana zmienna"),
        ("{% if %}", "Wiersz 1"),
    ],
)
def test_marketing_texts_are_refused_when_unsafe_or_broken(db, source, problem):
    samples = [{"recipient": JAN.variables(), "code": "X"}]
    found = check_source(source, samples, html=True)
    assert found is not None and problem in str(found)


def test_personalised_html_is_sanitised_escaped_and_inlined(db):
    campaign = make_campaign(
        subject="{{ recipient.first_name }}, nowości dla {{ recipient.company }}",
        blocks=[
            {
                "type": "text",
                "title": "Wiosna <i>2026</i>",
                "html": '<p onclick="x()">Cześć {{ recipient.first_name }}! Masz '
                "{{ recipient.points }} pkt.</p><script>alert(1)</script>"
                '<a href="javascript:alert(1)">zła</a>',
                "button_label": "",
                "button_url": "",
            }
        ],
    )
    mail, _ = _render(campaign)
    assert mail.subject == "Jan, nowości dla Hurtownia <Gęś>"
    assert "Cześć Jan! Masz 1250 pkt." in mail.html
    assert "<script" not in mail.html and "onclick" not in mail.html
    assert "javascript:" not in mail.html
    assert "Wiosna &lt;i&gt;2026&lt;/i&gt;" in mail.html  # a title is text, not HTML
    assert 'style="' in mail.html.split("Cześć")[0].rsplit("<p", 1)[1]  # CSS inlined
    assert "Cześć Jan! Masz 1250 pkt." in mail.text and "<p" not in mail.text
    assert "Wypisz się" in mail.html or "Unsubscribe" in mail.html
    empty, _ = _render(campaign, NOBODY)
    assert "Cześć ! Masz  pkt." in empty.html  # no name: the sample check renders it too


def test_company_names_cannot_inject_html(db):
    campaign = make_campaign(blocks=[{"type": "text", "html": "<p>{{ recipient.company }}</p>"}])
    mail, _ = _render(campaign)
    assert "Hurtownia &lt;Gęś&gt;" in mail.html
    assert "Hurtownia <Gęś>" in mail.text


def test_links_become_signed_tracking_links_in_html_and_text(db, app):
    campaign = make_campaign()
    _mail, compiled = _render(campaign)
    url = "https://sklep.example.pl/wiosna?utm=nl&x=1"
    assert url in compiled.links
    ids = {u: n for n, u in enumerate(compiled.links, start=1)}
    compiled = compile_campaign(campaign, blocks.snapshot(campaign.blocks), ids)
    clicks = {i: f"https://t/{i}" for i in ids.values()}
    mail = render(compiled, JAN, Urls("https://u", "https://p", "https://o.gif", clicks))
    link_id = ids[url]
    assert f'href="https://t/{link_id}"' in mail.html
    assert f"(https://t/{link_id})" in mail.text
    assert url not in mail.html and "https://u" in mail.html
    direct = render(compiled, JAN, preview_urls())
    assert "wiosna?utm=nl&amp;x=1" in direct.html  # previews link straight to the shop
    signature = sign("c", 7, link_id)
    assert verify("c", 7, signature, link_id)
    assert not verify("c", 7, signature, link_id + 1) and not verify("c", 8, signature, link_id)


def test_product_and_code_blocks_come_from_the_database(db, app):
    make_product(
        sku="WK-100/Ż",
        name="Wkrętarka Łucznik",
        price_net=Decimal("1234.50"),
        image_url="https://img.example.pl/wk.png",
    )
    make_product(sku="OLD-1", name="Stary produkt", active=False)
    batch = make_code_batch(5, value=Decimal("15"))
    shared = batch_code(batch)
    campaign = make_campaign(
        blocks=[
            {"type": "products", "title": "Nowości", "mode": "new", "days": 30, "limit": 6},
            {
                "type": "code",
                "title": "Rabat",
                "text": "Dla Ciebie",
                "mode": "shared",
                "code": shared,
            },
        ]
    )
    campaign.blocks = blocks.clean_blocks(campaign.blocks)
    mail, compiled = _render(campaign)
    assert "Wkrętarka Łucznik" in mail.html and "Stary produkt" not in mail.html
    assert "1&nbsp;234,50&nbsp;zł" in mail.html and "1 234,50 zł" in mail.text.replace("\xa0", " ")
    assert "https://img.example.pl/wk.png" in mail.html
    assert app.config["SHOP_URL"] + "/product/WK-100%2F%C5%BB" in compiled.links
    assert shared in mail.html and shared in mail.text and "15%" in mail.html


def batch_code(batch) -> str:
    from sqlalchemy import select

    from backoffice.extensions import db
    from models.discount_codes import DiscountCode

    return db.session.scalar(select(DiscountCode.code).where(DiscountCode.batch_id == batch.id))


def test_unique_code_is_the_recipients_own(db):
    batch = make_code_batch(3)
    campaign = make_campaign(
        blocks=[{"type": "code", "title": "Kod", "mode": "unique", "batch_id": batch.id}]
    )
    mail, _ = _render(campaign)
    assert "KOD-ABC" in mail.html and "KOD-ABC" in mail.text


@pytest.mark.parametrize(
    "block, field",
    [
        ({"type": "text", "html": "", "title": ""}, "html"),
        (
            {"type": "text", "html": "x", "button_label": "Kup", "button_url": "ftp://x"},
            "button_url",
        ),
        ({"type": "products", "mode": "chosen", "product_ids": []}, "product_ids"),
        ({"type": "products", "mode": "chosen", "product_ids": [-1]}, "product_ids"),
        ({"type": "products", "mode": "new", "days": "0"}, "days"),
        ({"type": "code", "mode": "shared", "code": "NIEMA"}, "code"),
        ({"type": "code", "mode": "unique", "batch_id": ""}, "batch_id"),
    ],
)
def test_bad_blocks_name_the_field(db, block, field):
    with pytest.raises(ValidationFailed) as caught:
        blocks.clean_blocks([block])
    assert f"blocks.0.{field}" in caught.value.errors


def test_mime_message_parses_back_to_the_same_texts():
    html = "<p>Zażółć gęślą jaźń – " + "x" * 300 + "</p>\n<p>a=b .kropka</p>"
    text = "Dzień dobry Janie,\n\n.kropka na początku\nkoniec =3D"
    raw = build_message(
        sender="=?utf-8?q?Hurtownia_=C5=81=C3=B3d=C5=BA?= <sklep@hurtownia.example.pl>",
        to="jan@klient.example.pl",
        to_name="Jan Żółć",
        subject="Nowości marca – Żółć",
        html=html,
        text=text,
        message_id="<nl-3-77@hurtownia.example.pl>",
        headers={"List-Unsubscribe": "<https://b2b/nl/u/77/x>", "List-Id": "<list-1.x>"},
    )
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "Nowości marca – Żółć"
    assert parsed["To"].addresses[0].display_name == "Jan Żółć"
    assert parsed["From"].addresses[0].display_name == "Hurtownia Łódź"
    assert parsed["Message-ID"] == "<nl-3-77@hurtownia.example.pl>"
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert parsed.get_body(("html",)).get_content().replace("\r\n", "\n") == html
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
