"""The project's OpenAPI 3.1 document, built from the routes' declarations (pure).

Input: the app's routing rules and view functions; output: a dict. Everything comes
from services/api_gateway/operations.py's declarations and the pydantic models they
name (the same models that validate requests and build answers), so the document
cannot say something the code does not do. docs/design.md "OpenAPI: declared once".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from services.api_gateway.operations import (
    Access,
    Answer,
    DeclaredError,
    Operation,
    declared_access,
    declared_operation,
)
from services.common.errors import ERROR_TABLE

OPENAPI_VERSION = "3.1.0"
TITLE = "WhatsApp Business API On-Premises (self-hosted)"
SCHEMAS = "#/components/schemas/"
JSON = "application/json"
# Methods every path answers by itself (Flask): not operations of their own.
IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})
_PATH_VARIABLE = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")
# werkzeug's converters and the JSON Schema type of what each one matches.
_CONVERTER_TYPES = {"int": "integer", "float": "number"}

# What any route may answer besides what it declares (services/api_gateway/app.py's handlers).
OUTAGE_ERRORS: tuple[tuple[int, int], ...] = ((1016, 503),)  # an outage, or a send shed under load
# Every route belongs to a request-rate class (docs/compatibility.md "Request-rate limits").
RATE_LIMITED: tuple[tuple[int, int], ...] = ((1015, 429),)
# A failure no route expects (app.py's handlers): an unexpected error, a database error
# that is not an outage. Declared so that its envelope is described; never a success.
SERVER_ERRORS: tuple[tuple[int, int], ...] = ((1014, 500), (1023, 500))
# What gunicorn refuses before any route sees it (answered in the envelope by
# gunicorn_worker.py): a malformed request head, a request line over gunicorn_conf.py's
# 4094 bytes (a long query string), too many or too long header fields.
REQUEST_LIMITS: tuple[tuple[int, int], ...] = ((1025, 400), (1025, 414), (1025, 431))
BODY_ERRORS: tuple[tuple[int, int], ...] = ((1025, 400), (1025, 413))  # unreadable or too large
BAD_TOKEN = (1005, 401)
NOT_ADMIN = (1005, 403)

Mode = Literal["validation", "serialization"]


@dataclass(frozen=True)
class Route:
    """One method of one URL rule, as the app routes it."""

    path: str  # werkzeug's form: /v1/media/<media_id>
    method: str
    endpoint: str
    view: Callable[..., Any]
    blueprint: str | None

    @property
    def operation(self) -> Operation | None:
        return declared_operation(self.view)

    @property
    def access(self) -> Access:
        return declared_access(self.view) or Access()


def routes_of(url_rules: Iterable[Any], view_functions: Mapping[str, Callable[..., Any]]) -> list[Route]:
    """Every (rule, method) the app serves, in a stable order; Flask's static files excluded."""
    found = []
    for rule in url_rules:
        if rule.endpoint == "static":
            continue
        blueprint = rule.endpoint.rpartition(".")[0] or None
        for method in sorted(set(rule.methods or ()) - IMPLICIT_METHODS):
            found.append(Route(rule.rule, method, rule.endpoint, view_functions[rule.endpoint], blueprint))
    return sorted(found, key=lambda route: (route.path, route.method))


def undeclared(routes: Iterable[Route]) -> list[Route]:
    return [route for route in routes if route.operation is None]


def openapi_path(rule: str) -> str:
    """``/v1/media/<media_id>`` -> ``/v1/media/{media_id}`` (a converter is dropped)."""
    return _PATH_VARIABLE.sub(r"{\2}", rule)


def path_variables(rule: str) -> list[tuple[str, str]]:
    """Each variable of the rule and its JSON Schema type."""
    return [(name, _CONVERTER_TYPES.get(converter, "string")) for converter, name in _PATH_VARIABLE.findall(rule)]


def error_groups(operation: Operation, access: Access, *, reads_body: bool) -> dict[int, list[int]]:
    """HTTP status -> the error codes answered at it: the declared ones and those every
    route of this kind may answer."""
    pairs = [_with_status(error) for error in operation.errors]
    pairs += OUTAGE_ERRORS + RATE_LIMITED + SERVER_ERRORS + REQUEST_LIMITS
    if reads_body:
        pairs += BODY_ERRORS
    if not access.anonymous:
        pairs.append(BAD_TOKEN)
    if access.admin:
        pairs.append(NOT_ADMIN)
    groups: dict[int, list[int]] = {}
    for code, status in pairs:
        codes = groups.setdefault(status, [])
        if code not in codes:
            codes.append(code)
    return {status: sorted(codes) for status, codes in sorted(groups.items())}


def _with_status(error: DeclaredError) -> tuple[int, int]:
    if isinstance(error, tuple):
        return error
    return error, ERROR_TABLE.get(error, ERROR_TABLE[0])[1]


def security(access: Access) -> list[dict[str, list[str]]]:
    if access.anonymous:
        return []
    if access.basic:
        return [{"basic": []}]
    return [{"bearer": []}, {"apikey": []}] if access.apikey else [{"bearer": []}]


def build_document(routes: Iterable[Route], *, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the declared routes (undeclared ones are left out:
    ``undeclared`` names them, and a test requires there be none)."""
    declared = [route for route in routes if route.operation is not None]
    schemas = _ModelSchemas(_models_of(declared))
    shared = {endpoint for endpoint, count in Counter(route.endpoint for route in declared).items() if count > 1}
    paths: dict[str, dict[str, Any]] = {}
    for route in declared:
        operation = _operation(route, schemas)
        if route.endpoint in shared:  # one view for several methods: operationIds are unique
            operation["operationId"] = f"{route.endpoint}.{route.method.lower()}"
        paths.setdefault(openapi_path(route.path), {})[route.method.lower()] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": TITLE, "version": version,
                 "description": "Generated from the routes' declarations (services/api_gateway/operations.py). "
                                "Operations and fields marked `x-extension` go beyond the original API."},
        "paths": paths,
        "components": {"schemas": {**schemas.components, **ENVELOPE_SCHEMAS},
                       "securitySchemes": SECURITY_SCHEMES},
        "tags": [{"name": name} for name in sorted({tag for route in declared for tag in _tags(route)})],
    }


SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "The token of POST /v1/users/login."},
    "basic": {"type": "http", "scheme": "basic", "description": "Username and password (login only)."},
    "apikey": {"type": "apiKey", "in": "header", "name": "Authorization",
               "description": "`Apikey <key>`: the monitoring API key (WA_API_KEY), where a route accepts it."},
}

ENVELOPE_SCHEMAS: dict[str, Any] = {
    "Meta": {"type": "object", "required": ["api_status", "version"],
             "properties": {"api_status": {"type": "string"}, "version": {"type": "string"}}},
    "Error": {"type": "object", "required": ["code", "title"], "additionalProperties": False,
              "properties": {"code": {"type": "integer"}, "title": {"type": "string"},
                             "details": {"type": "string"}, "href": {"type": "string"}},
              # Each code has one title (services/common/errors.py): a client may switch on either.
              "allOf": [{"if": {"properties": {"code": {"const": code}}, "required": ["code"]},
                         "then": {"properties": {"title": {"const": title}}}}
                        for code, (title, _status) in sorted(ERROR_TABLE.items())]},
    "ErrorEnvelope": {"type": "object", "required": ["meta", "errors"], "additionalProperties": False,
                      "properties": {"meta": {"$ref": f"{SCHEMAS}Meta"},
                                     "errors": {"type": "array", "minItems": 1,
                                                "items": {"$ref": f"{SCHEMAS}Error"}}}},
    "Envelope": {"type": "object", "required": ["meta"], "additionalProperties": False,
                 "properties": {"meta": {"$ref": f"{SCHEMAS}Meta"}}},
}


def _tags(route: Route) -> tuple[str, ...]:
    operation = route.operation
    assert operation is not None
    return operation.tags or ((route.blueprint,) if route.blueprint else ())


def _models_of(routes: Iterable[Route]) -> list[tuple[type[BaseModel], Mode]]:
    wanted: list[tuple[type[BaseModel], Mode]] = []
    for route in routes:
        operation = route.operation
        assert operation is not None
        for model in (operation.body, operation.query):
            if model is not None:
                wanted.append((model, "validation"))
        wanted += [(answer, "serialization") for answer in operation.answers.values()
                   if isinstance(answer, type) and issubclass(answer, BaseModel)]
    return list(dict.fromkeys(wanted))


class _ClosedAnswers(GenerateJsonSchema):
    """pydantic's schemas, with every answer (serialization-mode) model closed: an
    answer sends exactly its fields, so a key it does not declare (a leaked
    ``password``) is a mismatch at any depth. A model that declares extra keys keeps
    them (``extra="allow"``), and a dict field (a dynamic map) keeps its own
    ``additionalProperties``. Requests stay open where the model ignores extras."""

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        if self.mode == "serialization":
            target = self.resolve_ref_schema(json_schema)
            if target.get("type") == "object" and "additionalProperties" not in target:
                target["additionalProperties"] = False
        return json_schema


class _ModelSchemas:
    """Every model's JSON Schema (Draft 2020-12, as OpenAPI 3.1 uses), sharing one
    ``components/schemas`` namespace: pydantic names them, and tells a model's input and
    output apart where they differ."""

    def __init__(self, models: list[tuple[type[BaseModel], Mode]]) -> None:
        refs, definitions = models_json_schema(models, ref_template=SCHEMAS + "{model}",
                                                 schema_generator=_ClosedAnswers) if models else ({}, {})
        self.refs: dict[tuple[Any, Mode], dict[str, Any]] = dict(refs)
        self.components: dict[str, Any] = definitions.get("$defs", {})
        _drop_null_defaults(self.components)

    def ref(self, model: type[BaseModel], mode: Mode) -> dict[str, Any]:
        return self.refs[(model, mode)]

    def definition(self, model: type[BaseModel], mode: Mode) -> dict[str, Any]:
        pointer = self.ref(model, mode)["$ref"]
        return self.components[pointer.removeprefix(SCHEMAS)]


def _drop_null_defaults(node: Any) -> None:
    """A field that may be left out but not sent as ``null`` (``= None`` behind a
    non-null input type) has pydantic write ``"default": null``, which its own schema
    refuses; left out, the key's absence says the same."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None and not _allows_null(node):
            del node["default"]
        for value in node.values():
            _drop_null_defaults(value)
    elif isinstance(node, list):
        for item in node:
            _drop_null_defaults(item)


def _allows_null(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    if kinds is not None:
        return kinds == "null" or (isinstance(kinds, list) and "null" in kinds)
    branches = schema.get("anyOf", []) + schema.get("oneOf", [])
    return not branches or any(_allows_null(branch) for branch in branches if isinstance(branch, dict))


def _operation(route: Route, schemas: _ModelSchemas) -> dict[str, Any]:
    operation = route.operation
    assert operation is not None
    access = route.access
    document: dict[str, Any] = {"operationId": route.endpoint, "summary": operation.summary, "tags": list(_tags(route))}
    description = operation.description
    if operation.extension:
        document["x-extension"] = operation.extension
        # Said in words too: a reader of the docs page sees descriptions before extensions.
        description = "\n\n".join(filter(None, (description, f"Extension: {operation.extension}")))
    if description:
        document["description"] = description
    if access.admin:
        document["x-admin-only"] = True
    parameters = _parameters(route, operation, schemas)
    if parameters:
        document["parameters"] = parameters
    body = _request_body(operation, schemas)
    if body:
        document["requestBody"] = body
    document["responses"] = _responses(operation, access, schemas)
    document["security"] = security(access)
    return document


def _parameters(route: Route, operation: Operation, schemas: _ModelSchemas) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [{"name": name, "in": "path", "required": True, "schema": {"type": kind}}
                                        for name, kind in path_variables(route.path)]
    if operation.query is not None:
        query = schemas.definition(operation.query, "validation")
        required = set(query.get("required", ()))
        for name, schema in query.get("properties", {}).items():
            parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if "x-extension" in schema:
                parameter["x-extension"] = schema["x-extension"]
            parameters.append(parameter)
    for header in operation.headers:
        parameter = {"name": header.name, "in": "header", "required": header.required,
                     "description": header.description, "schema": {"type": "string"}}
        if header.extension:
            parameter["x-extension"] = header.extension
        parameters.append(parameter)
    return parameters


def _request_body(operation: Operation, schemas: _ModelSchemas) -> dict[str, Any] | None:
    if operation.body is not None:
        return {"required": True, "content": {JSON: {"schema": schemas.ref(operation.body, "validation")}}}
    if operation.raw_body is not None:
        return {"required": True, "content": {operation.raw_body: {"schema": {"type": "string", "format": "binary"}}}}
    return None


def _responses(operation: Operation, access: Access, schemas: _ModelSchemas) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, answer in sorted(operation.answers.items()):
        content = _answer_content(answer, schemas)
        if status in operation.text_answers:  # what the query may ask for instead
            content.update(_answer_content(operation.text_answers[status], schemas))
        responses[str(status)] = {"description": operation.summary, "content": content}
    reads_body = operation.body is not None or operation.raw_body is not None
    for status, codes in error_groups(operation, access, reads_body=reads_body).items():
        responses[str(status)] = error_response(codes)
    return responses


def _answer_content(answer: Answer, schemas: _ModelSchemas) -> dict[str, Any]:
    if isinstance(answer, str):
        # A JSON document that is not the envelope (the OpenAPI document itself).
        schema = {"type": "object"} if answer.endswith("json") else {"type": "string", "format": "binary"}
        return {answer: {"schema": schema}}
    if answer is None:
        return {JSON: {"schema": {"$ref": f"{SCHEMAS}Envelope"}}}
    return {JSON: {"schema": envelope_of(schemas.definition(answer, "serialization"))}}


def envelope_of(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload model's keys beside ``meta``: what ``envelope.respond`` sends."""
    envelope: dict[str, Any] = {
        "type": "object",
        "properties": {**payload.get("properties", {}), "meta": {"$ref": f"{SCHEMAS}Meta"}},
        "required": [*payload.get("required", ()), "meta"],
        "additionalProperties": payload.get("additionalProperties", False),
    }
    for keyword in ("title", "description", "x-extension"):
        if keyword in payload:
            envelope[keyword] = payload[keyword]
    return envelope


def error_response(codes: list[int]) -> dict[str, Any]:
    titles = "; ".join(f"{code} {ERROR_TABLE.get(code, ERROR_TABLE[0])[0]}" for code in codes)
    schema = {"$ref": f"{SCHEMAS}ErrorEnvelope",
              "properties": {"errors": {"items": {"properties": {"code": {"enum": codes}}}}}}
    return {"description": titles, "x-error-codes": codes, "content": {JSON: {"schema": schema}}}
