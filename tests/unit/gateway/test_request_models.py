"""The request models both validate the bodies and declare them for the OpenAPI document:
what the document shows is what the gateway checks."""

from __future__ import annotations

import dataclasses
import typing

import pytest
from pydantic import ValidationError

from services import message_types
from services.api_gateway.schemas.contacts import MAX_CONTACTS, AcknowledgeBody, CheckBody
from services.api_gateway.schemas.messages import (
    MAX_MESSAGE_ID,
    SEND_MEMBERS,
    MarkReadBody,
    SendBody,
    _send_error,
    _send_member,
)
from services.common.errors import ApiError


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


def test_the_send_schema_shows_what_a_client_sends_not_how_it_is_checked():
    text = SendBody.model_json_schema()["$defs"]["SendText"]["properties"]
    # The keys named after other types are declared only to refuse them.
    assert set(text) == {"to", "type", "recipient_type", "preview_url", "render_mentions", "ttl", "text", "context"}
    assert {item["type"] for item in text["to"]["anyOf"]} == {"string", "integer"}
    assert text["preview_url"]["type"] == "boolean"  # absent or a boolean, never null
    context = SendBody.model_json_schema()["$defs"]["MessageContext"]
    assert context["properties"]["message_id"]["maxLength"] == MAX_MESSAGE_ID


def test_a_type_not_available_yet_is_refused_after_the_other_types_keys():
    sticker = message_types.get("sticker")
    assert sticker is not None
    member = _send_member(dataclasses.replace(sticker, available=False))

    def error_of(body: dict[str, object]) -> ApiError:
        with pytest.raises(ValidationError) as caught:
            member.model_validate(body)
        return _send_error(caught.value.errors()[0], "sticker")

    refused = error_of({"to": "1", "type": "sticker", "sticker": {"id": "1"}})
    assert (refused.code, refused.details) == (1009, "Parameter 'type' has invalid value 'sticker': not supported yet")
    assert error_of({"to": "1", "type": "sticker"}).code == 1009  # refused even without its object
    other = error_of({"to": "1", "type": "sticker", "image": {"id": "1"}})
    assert (other.code, other.details) == (1010, "Parameter 'image' is not required for type 'sticker'")


def test_mark_read_schema_takes_read_only():
    assert MarkReadBody.model_json_schema()["properties"]["status"]["const"] == "read"


def test_the_contacts_bounds_are_declared_where_they_are_checked():
    contacts = CheckBody.model_json_schema()["properties"]["contacts"]
    assert (contacts["minItems"], contacts["maxItems"]) == (1, MAX_CONTACTS)
    assert CheckBody.model_json_schema()["additionalProperties"] is False
    assert AcknowledgeBody.model_json_schema()["properties"]["hash"]["maxLength"] == 64
