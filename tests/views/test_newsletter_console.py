"""The newsletter console: marketing creates a campaign, edits blocks, previews, test-sends,
sends and watches; lists are imported with a check report; segments are counted; results
export to an XLSX that opens. Other roles are kept out."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.services import newsletter_preparing, newsletter_sending, newsletters
from models.messaging import Message
from models.newsletters import Campaign, CampaignStatus, ListMember, NewsletterList, Segment
from tests.factories import make_customer, make_group, make_product
from tests.factories_masterdata import csv_bytes
from tests.factories_newsletters import add_members, grant, make_campaign, make_list


@pytest.fixture
def marketing(staff_client):
    return staff_client("marketing")


def test_marketing_creates_edits_previews_and_sends_a_campaign(
    marketing, db, app, smtp_sink, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_sink.url)
    newsletter_list = make_list(name="Klienci hurtowi")
    add_members(newsletter_list, 3)
    make_product(sku="WK-1", name="Wkrętarka Żubr")
    resp = marketing.post(
        "/admin/newsletters/new/",
        data={
            "name": "Marzec",
            "subject": "{{ recipient.first_name }}, nowości",
            "list_id": newsletter_list.id,
            "include_members": "y",
            "segment_id": "",
            "locale": "pl",
            "primary_color": "#aa3300",
            "track_opens": "y",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    campaign = db.session.scalar(select(Campaign))
    editor = f"/admin/newsletters/{campaign.id}/edit"
    assert resp.headers["Location"].endswith(editor)
    for kind in ("text", "products"):
        marketing.post(f"/admin/newsletters/{campaign.id}/blocks/add", data={"kind": kind})
    bad = marketing.post(
        f"/admin/newsletters/{campaign.id}/blocks/0", data={"html": "{{ x|safe }}", "title": "A"}
    )
    assert bad.status_code == 200 and "safe" in bad.get_data(as_text=True)
    marketing.post(
        f"/admin/newsletters/{campaign.id}/blocks/0",
        data={"title": "Wiosna", "html": "<p>Cześć {{ recipient.first_name }}</p>"},
    )
    marketing.post(
        f"/admin/newsletters/{campaign.id}/blocks/1",
        data={"title": "Polecamy", "mode": "chosen", "skus": "WK-1", "days": "30", "limit": "6"},
    )
    page = marketing.get(editor).get_data(as_text=True)
    assert 'data-testid="audience-count">3<' in page and "WK-1" in page
    member = db.session.scalars(select(ListMember.email)).first()
    preview = marketing.get(f"/admin/newsletters/{campaign.id}/preview?as={member}")
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    html = preview.get_data(as_text=True)
    assert "Wkrętarka Żubr" in html and "Cześć Zażółć" in html and "#aa3300" in html
    info = marketing.get(f"/admin/newsletters/{campaign.id}/preview-info?as={member}").get_json()
    assert info["found"] and info["subject"].startswith("Zażółć,")
    assert (
        marketing.get(f"/admin/newsletters/{campaign.id}/preview?format=text").mimetype
        == "text/plain"
    )
    marketing.post(
        f"/admin/newsletters/{campaign.id}/test", data={"addresses": "szef@firma.pl, ja@firma.pl"}
    )
    tests = db.session.scalars(select(Message).where(Message.event == "newsletter.test")).all()
    assert {m.recipient for m in tests} == {"szef@firma.pl", "ja@firma.pl"}
    assert tests[0].subject.startswith("[TEST]") and "Wkrętarka Żubr" in tests[0].body_html
    resp = marketing.post(f"/admin/newsletters/{campaign.id}/send")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        f"/admin/newsletters/{campaign.id}/"
    )
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.PREPARING
    newsletter_preparing.prepare_campaign(campaign.id, SYSTEM)
    newsletter_sending.send_campaign(campaign.id)
    progress = marketing.get(f"/admin/newsletters/{campaign.id}/progress").get_json()
    assert progress["percent"] == 100 and progress["status"] == "sent" and progress["sent"] == 3
    page = marketing.get(f"/admin/newsletters/{campaign.id}/").get_data(as_text=True)
    assert 'data-testid="stat-delivered">3<' in page and "<svg" in page and "WK-1" in page
    assert marketing.get(editor).status_code == 302  # a sent campaign is not edited any more


def test_export_opens_with_summary_timeline_links_and_recipients(
    marketing, db, app, smtp_sink, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_sink.url)
    newsletter_list = make_list()
    emails = add_members(newsletter_list, 2)
    campaign = make_campaign(newsletter_list)
    newsletters.send_now(SYSTEM, campaign)
    newsletter_preparing.prepare_campaign(campaign.id, SYSTEM)
    newsletter_sending.send_campaign(campaign.id)
    resp = marketing.get(f"/admin/newsletters/{campaign.id}/export.xlsx")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(resp.data))
    assert workbook.sheetnames == ["Podsumowanie", "W czasie", "Linki", "Odbiorcy"]
    recipients = list(workbook["Odbiorcy"].values)
    assert {r[0] for r in recipients[1:]} == set(emails)
    summary = dict(list(workbook["Podsumowanie"].values)[1:])
    assert summary["Wysłano"] == 2
    assert any("sklep.example.pl" in (r[0] or "") for r in workbook["Linki"].values)


def test_pause_and_cancel_buttons(marketing, db):
    newsletter_list = make_list()
    add_members(newsletter_list, 2)
    campaign = make_campaign(newsletter_list)
    newsletters.send_now(SYSTEM, campaign)
    newsletter_preparing.prepare_campaign(campaign.id, SYSTEM)
    page = marketing.get(f"/admin/newsletters/{campaign.id}/").get_data(as_text=True)
    assert 'data-testid="pause"' in page and "progress-bar" in page
    marketing.post(f"/admin/newsletters/{campaign.id}/pause")
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.PAUSED
    resp = marketing.post(f"/admin/newsletters/{campaign.id}/pause")
    assert resp.status_code == 302
    marketing.post(f"/admin/newsletters/{campaign.id}/cancel")
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.CANCELLED


def test_list_import_checks_every_row_before_adding(marketing, db):
    resp = marketing.post(
        "/admin/newsletter-lists/new/",
        data={"name": "Targi 2026", "public": "y", "description": ""},
    )
    assert resp.status_code == 302
    newsletter_list = db.session.scalar(
        select(NewsletterList).where(NewsletterList.name == "Targi 2026")
    )
    url = f"/admin/newsletter-lists/{newsletter_list.id}/import"
    data = csv_bytes(
        ["E-mail", "Imię i nazwisko", "Firma"],
        [["a@targi.pl", "Ala", "Ąę"], ["zły", "", ""], ["a@targi.pl", "", ""]],
    )
    page = marketing.post(
        url,
        data={"stage": "upload", "file": (io.BytesIO(data), "targi.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    mapping = {
        "token": token,
        "filename": "targi.csv",
        "map_email": "0",
        "map_name": "1",
        "map_company": "2",
        "map_consent": "",
    }
    report = marketing.post(url, data={**mapping, "stage": "check"}).get_data(as_text=True)
    assert 'data-testid="error-rows"' in report and "zły" in report and "do-import" not in report
    fixed = csv_bytes(
        ["E-mail", "Imię i nazwisko", "Firma"],
        [["a@targi.pl", "Ala", "Ąę"], ["b@targi.pl", "", ""]],
    )
    page = marketing.post(
        url,
        data={"stage": "upload", "file": (io.BytesIO(fixed), "targi.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    mapping["token"] = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    report = marketing.post(url, data={**mapping, "stage": "check"}).get_data(as_text=True)
    assert 'data-testid="do-import"' in report
    resp = marketing.post(url, data={**mapping, "stage": "import", "all_consented": "on"})
    assert resp.status_code == 302
    assert set(db.session.scalars(select(ListMember.email))) == {"a@targi.pl", "b@targi.pl"}
    members = marketing.get(f"/admin/newsletter-members/?list_id={newsletter_list.id}").get_data(
        as_text=True
    )
    assert "a@targi.pl" in members


def test_segment_is_counted_and_saved(marketing, db):
    group = make_group(name="Hurt")
    make_customer(group=group)
    make_customer()
    data = {
        "name": "Hurtownicy",
        "customer_group_ids": [str(group.id)],
        "contacts": "all",
        "op": "count",
    }
    page = marketing.post("/admin/newsletter-segments/new/", data=data).get_data(as_text=True)
    assert 'data-testid="segment-count"' in page and db.session.scalar(select(Segment)) is None
    resp = marketing.post("/admin/newsletter-segments/new/", data={**data, "op": "save"})
    assert resp.status_code == 302
    segment = db.session.scalar(select(Segment))
    assert segment.criteria["customer_group_ids"] == [group.id]
    bad = marketing.post(
        "/admin/newsletter-segments/new/",
        data={**data, "name": "X", "points_min": "5", "points_max": "1"},
    )
    assert "is-invalid" in bad.get_data(as_text=True)
    listing = marketing.get("/admin/newsletter-segments/").get_data(as_text=True)
    assert "Hurtownicy" in listing and "Hurt" in listing


@pytest.mark.parametrize(
    "path", ["/admin/newsletters/", "/admin/newsletter-lists/", "/admin/newsletter-subscribers/"]
)
def test_other_roles_are_kept_out(staff_client, path):
    assert staff_client("sales").get(path).status_code == 403
    assert staff_client("marketing").get(path).status_code == 200


def test_audience_panel_counts_a_segment(marketing, db):
    group = make_group()
    customer = make_customer(group=group, email="biuro@hurt.example.pl")
    grant(customer.email)
    from tests.factories_newsletters import make_segment

    campaign = make_campaign(make_list(), segment_id=make_segment(customer_group_ids=[group.id]).id)
    page = marketing.get(f"/admin/newsletters/{campaign.id}/edit").get_data(as_text=True)
    assert 'data-testid="audience-count">1<' in page


def test_segment_description_names_its_groups_alphabetically(db, app):
    from views.admin.newsletter_segments import describe

    zeta, alfa = make_group(name="Żabki hurtowe"), make_group(name="Apteki")
    with app.test_request_context():
        assert "Apteki, Żabki hurtowe" in describe({"customer_group_ids": [zeta.id, alfa.id]})
