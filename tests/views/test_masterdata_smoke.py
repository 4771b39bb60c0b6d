"""Every master-data page opens for an administrator; who may edit what."""

import pytest

PAGES = [
    "/admin/customers/",
    "/admin/customers/new/",
    "/admin/customer-groups/",
    "/admin/customer-groups/new/",
    "/admin/products/",
    "/admin/products/new/",
    "/admin/product-groups/",
    "/admin/product-groups/new/",
    "/admin/product-groups/tree/",
    "/admin/suppliers/",
    "/admin/suppliers/new/",
    "/admin/portal-users/",
    "/admin/portal-users/new/",
    "/admin/company/",
    "/admin/import/customers/",
    "/admin/import/products/",
    "/admin/",
]


@pytest.mark.parametrize("url", PAGES)
def test_admin_opens_every_page(admin_client, url):
    resp = admin_client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:3000]
