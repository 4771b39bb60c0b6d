"""With CSRF on (as in production), every master-data form carries its token."""

import re

import pytest

FORMS = [
    "/admin/customers/new/",
    "/admin/customer-groups/new/",
    "/admin/products/new/",
    "/admin/product-groups/new/",
    "/admin/suppliers/new/",
    "/admin/portal-users/new/",
    "/admin/company/",
    "/admin/import/products/",
]


@pytest.mark.parametrize("url", FORMS)
def test_form_has_csrf_token(admin_client, app, monkeypatch, url):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    html = admin_client.get(url).get_data(as_text=True)
    form = html[html.index("<form", html.index("</nav>")) :]
    assert len(re.findall(r'name="csrf_token"', form.split("</form>")[0])) == 1
