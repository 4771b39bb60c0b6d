"""The OpenAPI 3.1 document, generated from ``ENDPOINTS`` and the pydantic models, and the
interactive documentation (Swagger UI served from the installed package: works offline).

``GET /api/v1/openapi.json`` and ``GET /api/v1/docs`` need no token: the document holds
no data, and an integrator reads it before having one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files
from typing import Any

from flask import jsonify, render_template, send_from_directory, url_for
from pydantic import BaseModel, TypeAdapter

from views.api import api
from views.api.base import ENDPOINTS, MAX_PATH_INT, SCOPES, Endpoint, openapi_path
from views.api.schemas_common import ErrorResponse, ExternalId

TITLE = "Backoffice API"
VERSION = "1.0.0"
REF = "#/components/schemas/{model}"
SWAGGER_DIST = str(files("flask_swagger_ui") / "dist")
ERROR_DESCRIPTIONS = {
    401: "Missing, invalid or revoked token",
    403: "The token lacks the scope this operation needs",
    404: "No such resource",
    409: "Conflicts with stored data (e.g. a SKU held by another product)",
    422: "Invalid input; nothing was written. Keys are field paths.",
}
INTRO = """JSON API through which the ERP and the shop push customers, products, orders,
order events, delivery notes, receivables and payments.

* Send `Authorization: Bearer <token>`; tokens are made by an administrator (console:
  *Administration → API tokens*, or `flask --app wsgi api-tokens create NAME --scope erp`).
  Each operation names the scopes that may call it.
* `PUT /<resource>/<external_id>` creates (201) or updates (200) by **your** id; the same
  body twice changes nothing. `PUT /<resource>` takes up to 1,000 items, all or nothing.
* Money and quantities are decimal strings (`"1234.50"`; numbers are accepted on input),
  times are ISO 8601 with an offset.
* Errors: `{"errors": {"field.path": ["message"]}}` — 422 invalid input, 404 unknown,
  409 conflict. Messages are Polish unless you send `Accept-Language: en`.
"""


@api.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 document of this API."""
    return jsonify(openapi_document())


@api.get("/docs")
@api.get("/docs/")
def docs():
    """Interactive API documentation (Swagger UI, no external resources)."""
    return render_template(
        "admin/integration/api_docs.html",
        spec_url=url_for("api.openapi_json"),
        asset=lambda name: url_for("api.docs_asset", filename=name),
        title=TITLE,
    )


@api.get("/docs/assets/<path:filename>")
def docs_asset(filename: str):
    """Swagger UI's scripts and styles, shipped with the flask-swagger-ui package."""
    return send_from_directory(SWAGGER_DIST, filename, max_age=86400)


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """Build the document once per process (endpoints are fixed after start-up)."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        path = openapi_path(endpoint.rule)
        paths.setdefault(path, {})[endpoint.method.lower()] = _operation(endpoint, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": INTRO},
        "servers": [{"url": "/api/v1"}],
        "paths": _finalise(dict(sorted(paths.items())), schemas),
        "components": {
            "schemas": schemas.components(),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token; its scopes are " + ", ".join(SCOPES) + ".",
                }
            },
        },
        "tags": [{"name": t} for t in sorted({e.tag for e in ENDPOINTS})],
    }


class _Schemas:
    """Collects every model used by the endpoints and renders them as components."""

    def __init__(self) -> None:
        self._types: dict[tuple[str, str], Any] = {}
        self._rendered: tuple[dict, dict] | None = None

    def ref(self, type_: Any, mode: str) -> dict[str, Any]:
        """A placeholder replaced by the real schema in ``resolve``."""
        key = (_type_key(type_), mode)
        self._types[key] = type_
        return {"$schema_key": key}

    def _render(self) -> tuple[dict, dict]:
        if self._rendered is None:
            inputs = [(key, key[1], TypeAdapter(t)) for key, t in self._types.items()]
            self._rendered = TypeAdapter.json_schemas(inputs, ref_template=REF)
        return self._rendered

    def resolve(self, key: tuple[str, str]) -> dict[str, Any]:
        mapping, _defs = self._render()
        return mapping[(key, key[1])]

    def components(self) -> dict[str, Any]:
        _mapping, defs = self._render()
        return defs.get("$defs", {})


def _type_key(type_: Any) -> str:
    if isinstance(type_, type):
        return f"{type_.__module__}.{type_.__qualname__}"
    return repr(type_)  # list[...] / Annotated[...]: the repr names the item model


def _operation(endpoint: Endpoint, schemas: _Schemas) -> dict[str, Any]:
    """One operation object: parameters, body, responses, security with scopes."""
    scopes = list(endpoint.scopes)
    op: dict[str, Any] = {
        "operationId": endpoint.func_name,
        "summary": endpoint.summary,
        "description": _description(endpoint),
        "tags": [endpoint.tag],
        "security": [{"bearerAuth": [s]} for s in scopes] or [{"bearerAuth": []}],
        "x-scopes": scopes,
    }
    params = _path_parameters(endpoint) + _query_parameters(endpoint)
    if params:
        op["parameters"] = params
    if endpoint.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": _media(endpoint.body, "validation", schemas)},
        }
    op["responses"] = _responses(endpoint, schemas)
    return op


def _description(endpoint: Endpoint) -> str:
    scopes = " or ".join(f"`{s}`" for s in endpoint.scopes) or "any"
    text = endpoint.description.replace("\n", " ").strip()
    return f"{text}\n\nScopes: {scopes}.".strip()


def _media(type_: Any, mode: str, schemas: _Schemas) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schemas.ref(type_, mode)}
    examples = _examples(type_)
    if examples:
        media["example"] = examples
    return media


def _examples(type_: Any) -> Any:
    """The model's first example (a bulk body shows it as a one-item list)."""
    origin_args = getattr(type_, "__metadata__", None) and type_.__origin__
    target = origin_args if origin_args is not None else type_
    inner = getattr(target, "__args__", None)
    model = inner[0] if inner else target
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    extra = model.model_config.get("json_schema_extra") or {}
    found = extra.get("examples") if isinstance(extra, dict) else None
    if not found:
        return None
    if inner:
        return [{"external_id": "EXT-1", **found[0]}]
    return found[0]


PATH_PARAM = re.compile(r"<(?:([a-z]+):)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def _path_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    """Path parameters: Flask's int converter → integer, anything else an external id."""
    params = []
    for converter, name in PATH_PARAM.findall(endpoint.rule):
        if converter == "int":
            schema: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": MAX_PATH_INT}
            description = "Row id."
        else:
            schema = TypeAdapter(ExternalId).json_schema()
            description = "Your id of the row (slashes allowed, e.g. FV/2026/0001)."
        params.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": description,
                "schema": schema,
            }
        )
    return params


def _query_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    if endpoint.query is None:
        return []
    schema = endpoint.query.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(dict(prop))
        description = prop.pop("description", None)
        prop.pop("title", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or has a value: drop the ``null`` branch of optionals."""
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if "anyOf" in schema and len(branches) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        rest.pop("default", None)
        return {**branches[0], **rest}
    return schema


def _responses(endpoint: Endpoint, schemas: _Schemas) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "OK" if endpoint.status == 200 else "Created"}
    if endpoint.response is not None:
        schema = schemas.ref(endpoint.response, "serialization")
        ok["content"] = {"application/json": {"schema": schema}}
    responses: dict[str, Any] = {str(endpoint.status): ok}
    for code, description in endpoint.extra_responses.items():
        if 200 <= code < 300:
            responses[str(code)] = {**ok, "description": description}
    codes = [401, 403]
    has_path = bool(PATH_PARAM.search(endpoint.rule))
    if has_path:
        codes.append(404)
    if endpoint.method in {"PUT", "POST", "PATCH", "DELETE"}:
        codes.append(409)
    if endpoint.body is not None or endpoint.query is not None or has_path:
        codes.append(422)
    error = {"application/json": {"schema": schemas.ref(ErrorResponse, "serialization")}}
    for code in codes:
        responses[str(code)] = {"description": ERROR_DESCRIPTIONS[code], "content": error}
    for code, description in endpoint.extra_responses.items():
        if code >= 400:
            responses[str(code)] = {"description": description, "content": error}
    return responses


def _finalise(node: Any, schemas: _Schemas) -> Any:
    """Replace schema placeholders by the rendered schemas."""
    if isinstance(node, dict):
        if "$schema_key" in node:
            return schemas.resolve(node["$schema_key"])
        return {k: _finalise(v, schemas) for k, v in node.items()}
    if isinstance(node, list):
        return [_finalise(v, schemas) for v in node]
    return node
