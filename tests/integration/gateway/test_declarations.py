"""Every route of the declared blueprints says what it accepts and answers
(services/api_gateway/operations.py) and who may call it: the OpenAPI document is
generated from these declarations, so a route without one would be missing from it."""

from __future__ import annotations

import inspect
import json

import pytest
from pydantic import BaseModel

from services.api_gateway.app import BLUEPRINTS
from services.api_gateway.operations import declared_access, declared_operation
from services.common.errors import ERROR_TABLE

# Every blueprint the app registers (a new one is covered without being listed here).
DECLARED_BLUEPRINTS = tuple(blueprint.name for blueprint in BLUEPRINTS)
BODY_METHODS = {"POST", "PUT", "PATCH"}
# The actions whose request is the method and path alone, each with why.
BODYLESS = {
    "users.logout": "revokes the token the request carries",
    "services.collect_media": "starts media GC",
    "services.collect_messages": "starts message GC",
}


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
        if not rule.methods & BODY_METHODS:
            continue
        if rule.endpoint in BODYLESS:
            assert "json_body" not in inspect.getsource(view), f"{rule.rule} reads a body after all"
            assert operation.body is None and operation.raw_body is None, rule.rule
        else:
            assert (operation.body is None) != (operation.raw_body is None), rule.rule


def test_every_route_of_the_app_is_in_a_covered_blueprint(app):
    assert set(app.blueprints) == set(DECLARED_BLUEPRINTS)
    outside = [rule.rule for rule in app.url_map.iter_rules()
               if rule.endpoint != "static" and rule.endpoint.split(".")[0] not in app.blueprints]
    assert outside == []


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
