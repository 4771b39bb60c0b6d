"""Every API error has the same shape: ``{"errors": {...}}`` (plus error and message)."""


def test_unknown_api_path_answers_json_errors(client):
    resp = client.get("/api/v1/no-such-thing")
    assert resp.status_code == 404
    assert resp.json["errors"]["_"]


def test_wrong_method_answers_json_errors(client):
    resp = client.delete("/api/v1/products")
    assert resp.status_code == 405
    assert resp.json["errors"]["_"] and resp.json["message"]


def test_body_that_is_not_json_is_422(api):
    resp = api.client.put(
        "/api/v1/products/P-1", data="sku=1", headers=api.headers, content_type="text/plain"
    )
    assert resp.status_code == 422
    assert resp.json["errors"] == {"_": ["The body must be JSON."]}
