"""The served OpenAPI document (``GET /v1/openapi.json``) and the docs page (``GET /docs``),
through the real app: the document is valid OpenAPI 3.1 with valid JSON Schemas, covers
every route, and the test client checks every answer against it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from pydantic import BaseModel

from services.api_gateway import api_docs
from services.api_gateway.openapi_document import openapi_path, routes_of, undeclared
from services.api_gateway.operations import Access, access, operation
from tests.common.openapi_check import OpenApiMismatch


@pytest.fixture
def document(client) -> dict[str, Any]:
    answer = client.get("/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    return answer.get_json()


def test_the_document_is_served_without_a_token_and_is_valid_openapi_3_1(document, config):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["version"] == config.api_version


def test_every_schema_in_the_document_is_valid_json_schema(document):
    schemas = list(_schemas(document["paths"])) + list(document["components"]["schemas"].values())
    assert schemas
    for schema in schemas:
        Draft202012Validator.check_schema(schema)


def _schemas(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema":
                yield value
            else:
                yield from _schemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from _schemas(item)


def test_the_document_is_built_once_per_app(app, client, monkeypatch):
    builds = []
    real_build = api_docs.build_document
    monkeypatch.setattr(api_docs, "build_document", lambda *a, **k: builds.append(1) or real_build(*a, **k))
    first = client.get("/v1/openapi.json").get_json()
    second = client.get("/v1/openapi.json").get_json()
    assert first == second
    assert len(builds) == 1


def test_the_documents_own_operations_are_declared_as_extensions(document):
    for path in ("/v1/openapi.json", "/docs", "/docs/assets/{name}"):
        operation_ = document["paths"][path]["get"]
        assert operation_["security"] == []
        assert operation_["x-extension"]


def test_every_route_of_the_app_is_declared(app, document):
    routes = routes_of(app.url_map.iter_rules(), app.view_functions)
    missing = [f"{route.method} {route.path} ({route.endpoint})" for route in undeclared(routes)]
    assert missing == []
    served = {(openapi_path(route.path), route.method.lower()) for route in routes}
    listed = {(path, method) for path, methods in document["paths"].items() for method in methods}
    assert served == listed


def test_the_extensions_of_the_original_are_marked(document):
    send = document["paths"]["/v1/messages"]["post"]
    headers = {parameter["name"]: parameter for parameter in send["parameters"] if parameter["in"] == "header"}
    assert headers["Idempotency-Key"]["x-extension"]
    schemas = document["components"]["schemas"]
    assert schemas["NodeHealth"]["properties"]["shards"]["x-extension"]  # the shards a node holds
    assert schemas["ShownCredentials"]["x-extension"]  # the media providers' secrets, masked
    assert schemas["MediaProvider"]["properties"]["hosts"]["x-extension"]


def test_the_docs_page_loads_only_files_of_its_own_origin(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert not re.search(r"https?:|\*", policy)
    html = page.get_data(as_text=True)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    files = re.findall(r"(?:src|href)=\"(/docs/assets/[^\"]+)\"", html)
    assert len(files) >= 3
    for path in files:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.get_data()


def test_an_unknown_docs_file_is_not_served(client):
    for name in ("index.template.html", "..%2Fapi_docs.py", "swagger-ui.js.map", "nope"):
        answer = client.get(f"/docs/assets/{name}")
        assert answer.status_code == 404, name
        assert answer.get_json()["errors"][0]["code"] == 1006


class Drifted(BaseModel):
    thing: int


def test_the_test_client_refuses_an_answer_that_breaks_the_document(config, db, redis):
    from services.api_gateway.app import create_app
    from services.api_gateway.envelope import respond

    drifting = create_app(config)

    @drifting.get("/v1/test-drift")
    @operation("An answer built beside its model", answers={200: Drifted})
    @access(Access(anonymous=True))
    def drift():
        return respond({"thing": "not a number"})

    with pytest.raises(OpenApiMismatch, match=r"drift \(GET /v1/test-drift\) 200: \$\.thing: 'not a number'"):
        drifting.test_client().get("/v1/test-drift")


def test_a_path_with_an_encoded_slash_is_unknown_not_redirected(client, auth):
    # werkzeug would merge the "//" with a 308 redirect, outside the envelope and the document.
    answer = client.get("/v1/users/%2Fsomeone", headers=auth)
    assert answer.status_code == 404
    assert answer.get_json()["errors"][0]["code"] == 1006
