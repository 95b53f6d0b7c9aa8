"""The request models the OpenAPI document shows agree with the checks that validate
the bodies (which keep the original's order and wording of errors)."""

from __future__ import annotations

import json
import typing

import pytest
from pydantic import BaseModel, ValidationError

from services import message_types
from services.api_gateway.schemas.contacts import (
    MAX_CONTACTS,
    AcknowledgeBody,
    CheckBody,
    validate_acknowledge,
    validate_check,
)
from services.api_gateway.schemas.messages import (
    SEND_MEMBERS,
    MarkReadBody,
    SendBody,
    validate_mark_read,
    validate_send,
)
from services.common.errors import ApiError


def validate(model: type[BaseModel], body: object) -> BaseModel:
    return model.model_validate_json(json.dumps(body))


def test_one_send_member_per_available_type_with_the_registry_model():
    members = {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in SEND_MEMBERS}
    available = {name: t for name, t in message_types.REGISTRY.items() if t.outbound is not None and t.available}
    assert set(members) == set(available)
    for name, declared in available.items():
        assert members[name].model_fields[name].annotation is declared.outbound


def test_the_send_schema_is_discriminated_by_type_and_text_is_the_default():
    schema = SendBody.model_json_schema()
    assert schema["discriminator"]["propertyName"] == "type"
    text = schema["$defs"]["SendText"]
    assert "type" not in text["required"] and text["properties"]["type"]["default"] == "text"
    assert {"to", "image"} <= set(schema["$defs"]["SendImage"]["required"])


@pytest.mark.parametrize("body", [
    {"to": "16315551234", "type": "text", "text": {"body": "hi"}, "preview_url": True, "ttl": "P1D"},
    {"to": 16315551234, "type": "image", "image": {"link": "https://example.com/a.jpg", "caption": "c"}},
    {"to": "+1 631 555 1234", "type": "location", "location": {"latitude": 1.5, "longitude": 2}},
    {"to": "16315551234", "type": "reaction", "reaction": {"message_id": "gBGG1", "emoji": "👍"},
     "context": {"message_id": "gBGG0"}, "messaging_product": "whatsapp"},
])
def test_a_send_the_gateway_accepts_the_model_accepts(body):
    validate_send(body)
    validate(SendBody, body)


@pytest.mark.parametrize("body", [
    {"type": "text", "text": {"body": "hi"}},
    {"to": "1", "type": "text", "text": {"body": "hi", "font": "bold"}},
    {"to": "1", "type": "text", "text": {"body": "hi"}, "recipient_type": "group"},
    {"to": "1", "type": "text", "text": {"body": "hi"}, "preview_url": "yes"},
    {"to": "1", "type": "fax", "fax": {}},
    {"to": "1", "type": "text", "text": {"body": "hi"}, "context": {"message_id": "a", "from": "b"}},
])
def test_a_send_the_gateway_refuses_for_its_shape_the_model_refuses(body):
    with pytest.raises(ApiError):
        validate_send(body)
    with pytest.raises(ValidationError):
        validate(SendBody, body)


def test_mark_read():
    validate_mark_read({"status": "read"})
    validate(MarkReadBody, {"status": "read"})
    with pytest.raises(ValidationError):
        validate(MarkReadBody, {"status": "unread"})


@pytest.mark.parametrize("body", [
    {"contacts": ["16315551000"]},
    {"contacts": ["+1 631 555 1001", "x"], "blocking": "wait", "force_check": True},
    {"contacts": ["1"] * MAX_CONTACTS},
])
def test_a_check_the_gateway_accepts_the_model_accepts(body):
    assert validate(CheckBody, body).model_dump() == vars(validate_check(body))


@pytest.mark.parametrize("body", [
    {}, {"contacts": None}, {"contacts": []}, {"contacts": "16315551000"}, {"contacts": ["1", 16315551000]},
    {"contacts": ["1"] * (MAX_CONTACTS + 1)}, {"contacts": ["1"], "blocking": "later"},
    {"contacts": ["1"], "force_check": "yes"}, {"contacts": ["1"], "force_check": 1}, {"contacts": ["1"], "block": 1},
])
def test_a_check_the_gateway_refuses_the_model_refuses(body):
    with pytest.raises(ApiError):
        validate_check(body)
    with pytest.raises(ValidationError):
        validate(CheckBody, body)


def test_acknowledge():
    assert validate(AcknowledgeBody, {"hash": "UKD6Y/5SqDU="}).hash == validate_acknowledge({"hash": "UKD6Y/5SqDU="})
    for body in ({}, {"hash": ""}, {"hash": 5}, {"hash": "x" * 65}, {"hash": "a", "other": 1}):
        with pytest.raises(ApiError):
            validate_acknowledge(body)
        with pytest.raises(ValidationError):
            validate(AcknowledgeBody, body)
