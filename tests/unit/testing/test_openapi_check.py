"""The response hook catches what breaks the document, and names where."""

from __future__ import annotations

import json

import pytest

from services.api_gateway.openapi_document import build_document, routes_of
from tests.common import openapi_check
from tests.common.openapi_check import OpenApiCheck, OpenApiMismatch
from tests.unit.gateway.test_openapi_document import tiny_app

META = {"api_status": "stable", "version": "v9.9.9"}
NOT_VALID = {"code": 1009, "title": "Parameter value is not valid"}
EXISTS = {"code": 1004, "title": "Resource already exists"}
NOT_FOUND = {"code": 1006, "title": "Resource not found"}
JSON = "application/json"


@pytest.fixture(scope="module")
def check() -> OpenApiCheck:
    app = tiny_app()
    return OpenApiCheck(build_document(routes_of(app.url_map.iter_rules(), app.view_functions), version="v9.9.9"))


def body(value: object) -> bytes:
    return json.dumps(value).encode()


def test_a_conforming_answer_passes(check):
    check.check("POST", "/v1/things", 201, JSON, body({"things": [{"id": "1", "name": "a"}], "meta": META}))
    check.check("GET", "/v1/things/7/picture", 200, "image/png", None)
    check.check("POST", "/v1/things", 400, JSON, body({"errors": [NOT_VALID], "meta": META}))


def test_a_wrong_shape_is_named_by_operation_status_and_path(check):
    with pytest.raises(OpenApiMismatch) as caught:
        check.check("POST", "/v1/things", 201, JSON, body({"things": [{"id": 1, "name": "a"}], "meta": META}))
    message = str(caught.value)
    assert "create_thing (POST /v1/things) 201" in message
    assert "$.things[0].id" in message


def test_an_undeclared_status_fails(check):
    problems = check.problems("GET", "/v1/things", 409, JSON, body({"errors": [EXISTS],
                                                                    "meta": META}))
    assert problems and "status 409 is not declared" in problems[0]


def test_a_declared_media_type_with_parameters_matches_the_bare_type(check):
    assert check.problems("GET", "/v1/things", 200, "text/plain; charset=utf-8", b"things 1") == []


def test_an_error_code_the_operation_does_not_declare_fails(check):
    problems = check.problems("POST", "/v1/things", 400, JSON, body({"errors": [NOT_FOUND],
                                                                     "meta": META}))
    assert problems and "$.errors[0].code" in problems[0]


def test_an_undeclared_content_type_fails(check):
    problems = check.problems("GET", "/v1/things/7/picture", 200, "text/html; charset=utf-8", b"<html>")
    assert problems and "content type 'text/html'" in problems[0]


def test_a_body_that_is_not_json_fails(check):
    assert check.problems("GET", "/v1/things", 200, JSON, b"{not json") == [
        "list_things (GET /v1/things) 200: $: the body is not JSON"]


def test_paths_the_document_does_not_know_get_the_bare_envelope_check(check):
    assert check.problems("GET", "/v1/nowhere", 404, JSON, body({"errors": [NOT_FOUND],
                                                                "meta": META})) == []
    assert check.problems("OPTIONS", "/v1/things", 200, JSON, body({"meta": META})) == []
    broken = check.problems("DELETE", "/v1/things", 405, JSON, body({"errors": [{"code": "x"}], "meta": META}))
    assert broken and "not in the document" in broken[0]
    assert check.problems("GET", "/v1/nowhere", 404, JSON, body({"errors": []})) != []


def test_an_undeclared_operation_answering_a_success_fails(check, monkeypatch):
    answer = body({"forgotten": True, "meta": META})
    assert check.problems("GET", "/v1/forgotten", 200, JSON, answer) != []
    monkeypatch.setattr(openapi_check, "REQUIRE_DECLARED", False)  # while routes were being declared
    assert check.problems("GET", "/v1/forgotten", 200, JSON, answer) == []


def test_an_extra_key_below_the_top_level_fails(check):
    leaked = {"things": [{"id": "1", "name": "a", "password": "leak"}], "meta": META}
    problems = check.problems("POST", "/v1/things", 201, JSON, body(leaked))
    assert problems and "$.things[0]" in problems[0] and "password" in problems[0]


def test_an_error_item_with_a_wrong_title_or_an_extra_key_fails(check):
    right = {"code": 1009, "title": "Parameter value is not valid", "details": "d", "href": "h"}
    assert check.problems("POST", "/v1/things", 400, JSON, body({"errors": [right], "meta": META})) == []
    wrong_title = {**right, "title": "Resource not found"}
    assert check.problems("POST", "/v1/things", 400, JSON, body({"errors": [wrong_title], "meta": META}))
    extra = {**right, "stack": "Traceback"}
    assert check.problems("POST", "/v1/things", 400, JSON, body({"errors": [extra], "meta": META}))


def test_an_unknown_path_must_answer_the_json_error_envelope(check):
    envelope = {"errors": [NOT_FOUND], "meta": META}
    assert check.problems("GET", "/v1/nowhere", 404, JSON, body(envelope)) == []
    html = check.problems("GET", "/v1/nowhere", 404, "text/html; charset=utf-8", b"<html>")
    assert html and "text/html" in html[0]
    assert check.problems("GET", "/v1/nowhere", 404, JSON, body({"meta": META}))
    assert check.problems("HEAD", "/v1/nowhere", 404, "text/html", None) == []
    assert check.problems("OPTIONS", "/v1/nowhere", 200, "text/html", None) == []
