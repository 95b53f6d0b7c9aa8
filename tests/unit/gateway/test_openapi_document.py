"""The OpenAPI generator on a tiny app of declared routes (pure: no server, no database)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from services.api_gateway import auth
from services.api_gateway.openapi_document import build_document, openapi_path, routes_of, undeclared
from services.api_gateway.operations import Access, HeaderParam, access, operation


class ThingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=8)
    colour: str | None = Field(default=None, json_schema_extra={"x-extension": "colours are ours"})
    # May be left out, not sent as null.
    shiny: Annotated[bool | None, BeforeValidator(lambda value: value), WithJsonSchema({"type": "boolean"})] = None


class ThingQuery(BaseModel):
    limit: int = Field(default=10, ge=1)
    after: str | None = None


class Thing(BaseModel):
    id: str
    name: str


class ThingsAnswer(BaseModel):
    things: list[Thing]


def tiny_app() -> Flask:
    app = Flask("tiny")

    @app.post("/v1/things")
    @operation("Create a thing", body=ThingBody, answers={201: ThingsAnswer}, errors=(1008, 1009, (1009, 422)),
               headers=(HeaderParam("Idempotency-Key", "Replays the first answer", extension="keys are ours"),))
    @auth.require_auth(admin=True)
    def create_thing():
        return None

    @app.get("/v1/things")
    @auth.require_auth(allow_apikey=True)
    @operation("List things", query=ThingQuery, answers={200: ThingsAnswer},
               text_answers={200: "text/plain; version=0.0.4"})
    def list_things():
        return None

    @app.get("/v1/things/<int:thing_id>/picture")
    @operation("A thing's picture", answers={200: "image/png"}, errors=(1006,), extension="pictures are ours")
    @access(Access(anonymous=True))
    def picture(thing_id: int):
        return None

    @app.post("/v1/things/<thing_id>/upload")
    @operation("Upload", raw_body="application/octet-stream", answers={200: None})
    @auth.require_auth()
    def upload(thing_id: str):
        return None

    @app.route("/v1/things/<thing_id>", methods=["GET", "DELETE"])
    @operation("Not served here", answers={200: None}, errors=(1006,))
    @auth.require_auth()
    def stub(thing_id: str):
        return None

    @app.get("/v1/forgotten")
    def forgotten():
        return None

    return app


@pytest.fixture(scope="module")
def app() -> Flask:
    return tiny_app()


@pytest.fixture(scope="module")
def document(app) -> dict[str, Any]:
    return build_document(routes_of(app.url_map.iter_rules(), app.view_functions), version="v9.9.9")


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["version"] == "v9.9.9"
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_paths_use_openapi_variables_and_types(document):
    assert openapi_path("/v1/media/<media_id>") == "/v1/media/{media_id}"
    assert openapi_path("/a/<path:rest>/b/<int:n>") == "/a/{rest}/b/{n}"
    picture = document["paths"]["/v1/things/{thing_id}/picture"]["get"]
    assert picture["parameters"] == [{"name": "thing_id", "in": "path", "required": True,
                                      "schema": {"type": "integer"}}]


def test_undeclared_routes_are_left_out_and_named(app, document):
    routes = routes_of(app.url_map.iter_rules(), app.view_functions)
    assert [(route.path, route.method) for route in undeclared(routes)] == [("/v1/forgotten", "GET")]
    assert "/v1/forgotten" not in document["paths"]
    assert "static" not in {route.endpoint for route in routes}


def test_an_operation_names_itself_and_its_tag(document):
    create = document["paths"]["/v1/things"]["post"]
    assert create["operationId"] == "create_thing"
    assert create["summary"] == "Create a thing"
    assert create["x-admin-only"] is True


def test_one_view_for_several_methods_has_an_operation_id_per_method(document):
    methods = document["paths"]["/v1/things/{thing_id}"]
    assert {methods["get"]["operationId"], methods["delete"]["operationId"]} == {"stub.get", "stub.delete"}


def test_the_request_body_is_the_validation_model(document):
    body = document["paths"]["/v1/things"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["required"] == ["name"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["name"]["maxLength"] == 8
    assert schema["properties"]["colour"]["x-extension"] == "colours are ours"
    assert schema["properties"]["colour"]["default"] is None  # null is a colour's valid value
    assert "default" not in schema["properties"]["shiny"]  # null is not: left out means unset


def test_query_models_become_query_parameters(document):
    parameters = {p["name"]: p for p in document["paths"]["/v1/things"]["get"]["parameters"]}
    assert parameters["limit"]["in"] == "query"
    assert parameters["limit"]["required"] is False
    assert parameters["limit"]["schema"]["minimum"] == 1
    assert set(parameters) == {"limit", "after"}


def test_declared_headers_are_parameters_and_marked_as_extensions(document):
    parameters = {p["name"]: p for p in document["paths"]["/v1/things"]["post"]["parameters"]}
    key = parameters["Idempotency-Key"]
    assert key["in"] == "header"
    assert key["x-extension"] == "keys are ours"
    assert key["required"] is False


def test_a_raw_body_and_a_media_answer_keep_their_media_types(document):
    upload = document["paths"]["/v1/things/{thing_id}/upload"]["post"]
    assert upload["requestBody"]["content"] == {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    picture = document["paths"]["/v1/things/{thing_id}/picture"]["get"]
    assert list(picture["responses"]["200"]["content"]) == ["image/png"]
    assert picture["x-extension"] == "pictures are ours"
    assert picture["description"] == "Extension: pictures are ours"  # shown by the docs page


def test_a_success_answer_is_the_payload_beside_meta(document):
    schema = document["paths"]["/v1/things"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    meta = {"api_status": "stable", "version": "v9.9.9"}
    assert validator.is_valid({"things": [{"id": "1", "name": "a"}], "meta": meta})
    assert not validator.is_valid({"things": [{"id": "1", "name": "a"}]})  # meta is required
    assert not validator.is_valid({"things": [{"id": "1"}], "meta": meta})
    assert not validator.is_valid({"things": [], "thing": [], "meta": meta})  # no undeclared key


def test_a_text_answer_the_query_may_ask_for_sits_beside_the_json_one(document):
    content = document["paths"]["/v1/things"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/plain; version=0.0.4"}
    assert content["text/plain; version=0.0.4"]["schema"] == {"type": "string", "format": "binary"}


def test_meta_only_answers_allow_nothing_else(document):
    schema = document["paths"]["/v1/things/{thing_id}/upload"]["post"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    assert validator.is_valid({"meta": {"api_status": "stable", "version": "v"}})
    assert not validator.is_valid({"meta": {"api_status": "stable", "version": "v"}, "extra": 1})


def test_errors_are_grouped_by_status_with_their_codes(document):
    responses = document["paths"]["/v1/things"]["post"]["responses"]
    assert responses["400"]["x-error-codes"] == [1008, 1009, 1025]
    assert responses["401"]["x-error-codes"] == [1005]
    assert responses["403"]["x-error-codes"] == [1005]  # admin only
    assert responses["413"]["x-error-codes"] == [1025]
    assert responses["422"]["x-error-codes"] == [1009]
    assert responses["429"]["x-error-codes"] == [1015]
    assert responses["503"]["x-error-codes"] == [1016]
    schema = responses["400"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    meta = {"api_status": "stable", "version": "v"}
    assert validator.is_valid({"errors": [{"code": 1008, "title": "Required parameter is missing"}], "meta": meta})
    assert not validator.is_valid({"errors": [{"code": 1006, "title": "Resource not found"}], "meta": meta})


def test_routes_without_a_body_or_a_token_declare_no_such_errors(document):
    picture = document["paths"]["/v1/things/{thing_id}/picture"]["get"]["responses"]
    assert set(picture) == {"200", "400", "404", "414", "429", "431", "500", "503"}
    listing = document["paths"]["/v1/things"]["get"]["responses"]
    assert set(listing) == {"200", "400", "401", "414", "429", "431", "500", "503"}
    assert listing["500"]["x-error-codes"] == [1014, 1023]


def test_security_follows_the_declared_access(document):
    assert document["paths"]["/v1/things"]["post"]["security"] == [{"bearer": []}]
    assert document["paths"]["/v1/things"]["get"]["security"] == [{"bearer": []}, {"apikey": []}]
    assert document["paths"]["/v1/things/{thing_id}/picture"]["get"]["security"] == []
    schemes = document["components"]["securitySchemes"]
    assert schemes["apikey"] == {"type": "apiKey", "in": "header", "name": "Authorization",
                                 "description": schemes["apikey"]["description"]}
    assert schemes["basic"]["scheme"] == "basic"
