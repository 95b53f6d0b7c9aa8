"""Every route of the declared blueprints says what it accepts and answers
(services/api_gateway/operations.py) and who may call it: the OpenAPI document is
generated from these declarations, so a route without one would be missing from it."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from services.api_gateway.operations import declared_access, declared_operation
from services.common.errors import ERROR_TABLE

DECLARED_BLUEPRINTS = ("messages", "contacts", "media", "settings", "health", "stats", "certificates", "profile")
BODY_METHODS = {"POST", "PUT", "PATCH"}


def routes(app, blueprint: str):
    found = [(rule, app.view_functions[rule.endpoint]) for rule in app.url_map.iter_rules()
             if rule.endpoint.split(".")[0] == blueprint]
    assert found, f"no routes for blueprint {blueprint}"
    return found


@pytest.mark.parametrize("blueprint", DECLARED_BLUEPRINTS)
def test_every_route_declares_its_operation_and_access(app, blueprint):
    for rule, view in routes(app, blueprint):
        operation = declared_operation(view)
        assert operation is not None, f"{rule.rule} {sorted(rule.methods)} has no @operation"
        assert declared_access(view) is not None, f"{rule.rule} has no require_auth"
        assert operation.answers and all(200 <= status < 300 for status in operation.answers), rule.rule
        codes = {error[0] if isinstance(error, tuple) else error for error in operation.errors}  # (code, status)
        assert codes <= set(ERROR_TABLE), rule.rule
        for answer in operation.answers.values():
            assert answer is None or isinstance(answer, str) or issubclass(answer, BaseModel), rule.rule


@pytest.mark.parametrize("blueprint", DECLARED_BLUEPRINTS)
def test_a_route_that_reads_a_body_declares_it(app, blueprint):
    for rule, view in routes(app, blueprint):
        operation = declared_operation(view)
        if rule.methods & BODY_METHODS and operation.errors:  # a body that can be refused
            assert (operation.body is None) != (operation.raw_body is None), rule.rule


def test_the_idempotency_key_is_a_declared_extension(app):
    send = app.view_functions["messages.send"]
    [header] = declared_operation(send).headers
    assert header.name == "Idempotency-Key" and header.extension


@pytest.mark.parametrize("blueprint", DECLARED_BLUEPRINTS)
def test_every_declared_model_gives_a_json_schema(app, blueprint):
    for rule, view in routes(app, blueprint):
        operation = declared_operation(view)
        for accepted in (operation.body, operation.query):
            if accepted is not None:
                assert json.dumps(accepted.model_json_schema(mode="validation")), rule.rule
        for answer in operation.answers.values():
            if isinstance(answer, type):
                assert json.dumps(answer.model_json_schema(mode="serialization")), rule.rule
