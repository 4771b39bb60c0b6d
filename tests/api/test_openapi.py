"""The generated OpenAPI document and the offline documentation page."""

import re

from views.api.base import ENDPOINTS, openapi_path


def test_document_describes_every_registered_endpoint(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for endpoint in ENDPOINTS:
        op = doc["paths"][openapi_path(endpoint.rule)][endpoint.method.lower()]
        assert op["x-scopes"] == list(endpoint.scopes)
        assert {"401", "403"} <= set(op["responses"])
        assert op["security"] == [{"bearerAuth": [s]} for s in endpoint.scopes]
        assert op["summary"], endpoint.func_name


def test_bodies_have_schemas_and_examples(client):
    doc = client.get("/api/v1/openapi.json").json
    put = doc["paths"]["/products/{external_id}"]["put"]
    body = put["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/ProductIn"}
    assert body["example"]["sku"]
    assert {"200", "201", "409", "422"} <= set(put["responses"])
    product = doc["components"]["schemas"]["ProductOut"]
    assert product["properties"]["price_net"]["type"] == "string"
    bulk = doc["paths"]["/products"]["put"]["requestBody"]["content"]["application/json"]
    assert bulk["schema"]["maxItems"] == 1000


def test_docs_page_uses_only_local_assets(client):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "swagger-ui-bundle.js" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
