import pytest

from services.api_gateway.schemas.messages import (
    MESSAGE_TYPES,
    normalize_recipient,
    ttl_seconds,
    validate_mark_read,
    validate_send,
)
from services.common.errors import ApiError


def text(**extra):
    return {"to": "16315551234", "type": "text", "text": {"body": "hello"}, **extra}


def error_of(body) -> tuple[int, str, int]:
    with pytest.raises(ApiError) as caught:
        validate_send(body)
    return caught.value.code, caught.value.details, caught.value.status


def test_minimal_text():
    request = validate_send({"to": "16315551234", "text": {"body": "hello"}})
    assert request.wa_id == "16315551234"
    assert request.type == "text"
    assert request.content == {"text": {"body": "hello"}}


def test_preview_url_and_ttl_stored():
    request = validate_send(text(preview_url=True, ttl="P1D"))
    assert request.content == {"text": {"body": "hello", "preview_url": True}, "ttl": 86400}


def test_cloud_style_preview_url_inside_text():
    assert validate_send({"to": "1", "text": {"body": "x", "preview_url": True}}).content["text"]["preview_url"]


def test_context_is_kept_and_checked():
    assert validate_send(text(context={"message_id": "ABGG1"})).content["context"] == {"message_id": "ABGG1"}
    assert error_of(text(context={}))[:2] == (1008, "Missing mandatory parameter 'context.message_id'")
    assert error_of(text(context="x"))[0] == 1009
    assert error_of(text(context={"message_id": "a", "from": "b"}))[0] == 1010


def test_lenient_keys_accepted():
    request = validate_send(
        text(messaging_product="whatsapp", recipient_type="individual")
    )
    assert request.wa_id == "16315551234"


@pytest.mark.parametrize(
    ("to", "wa_id"),
    [("+1 631-555-1234", "16315551234"), ("1 (631) 555.1234", "16315551234"), (16315551234, "16315551234")],
)
def test_to_is_normalised(to, wa_id):
    assert normalize_recipient(to) == wa_id
    assert validate_send(text(to=to)).wa_id == wa_id


def test_a_phone_number_routes_like_its_wa_id():
    from services.cluster.sharding import shard_for

    for to in ("+1 555-000-1111", "(555) 000-1111", "1-555-000-1111"):
        wa_id = validate_send(text(to=to), country_code="1").wa_id
        assert wa_id == "15550001111"
        assert shard_for(wa_id, 32) == shard_for("15550001111", 32)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"text": {"body": "x"}}, (1008, "Missing mandatory parameter 'to'", 400)),
        (text(to=""), (1008, "Missing mandatory parameter 'to'", 400)),
        (text(to=None), (1008, "Missing mandatory parameter 'to'", 400)),
        (text(to="abc"), (1009, "Parameter 'to' has invalid value 'abc'", 400)),
        (text(to="+ - "), (1009, "Parameter 'to' has invalid value '+ - '", 400)),
        (text(to="1631abc"), (1009, "Parameter 'to' has invalid value '1631abc'", 400)),
        (text(to=True), (1009, "Parameter 'to' has invalid value 'True'", 400)),
        (text(type="foo"), (1009, "Parameter 'type' has invalid value 'foo'", 400)),
        (text(type=None), (1009, "Parameter 'type' has invalid value 'None'", 400)),
        (
            text(recipient_type="group"),
            (1009, "Parameter 'recipient_type' has invalid value 'group': groups are not supported", 400),
        ),
        (text(recipient_type="broadcast"), (1002, "Parameter 'recipient_type' has invalid value 'broadcast'", 400)),
        (text(preview_url="true"), (1009, "Parameter 'preview_url' has invalid value 'true'", 400)),
        (text(render_mentions=1), (1009, "Parameter 'render_mentions' has invalid value '1'", 400)),
        (text(ttl=""), (1009, "Empty TTL value not allowed", 400)),
        (text(ttl=None), (1009, "Empty TTL value not allowed", 400)),
        (text(ttl="soon"), (1009, "Parameter 'ttl' has invalid value 'soon'", 400)),
        (text(image={"id": "1"}), (1010, "Parameter 'image' is not required for type 'text'", 400)),
        (text(template={}), (1010, "Parameter 'template' is not required for type 'text'", 400)),
        (
            {"to": "1", "type": "image", "text": {"body": "x"}},
            (1010, "Parameter 'text' is not required for type 'image'", 400),
        ),
        ({"to": "1", "type": "text"}, (1008, "Parameter 'text' is mandatory for type 'text'", 400)),
        ({"to": "1", "text": "hello"}, (1009, "Parameter 'text' has invalid value 'hello'", 400)),
        ({"to": "1", "text": {}}, (1008, "Parameter 'text.body' is mandatory for type 'text'", 400)),
        ({"to": "1", "text": {"body": ""}}, (1009, "Parameter 'text.body' has invalid value ''", 400)),
        ({"to": "1", "text": {"body": 5}}, (1009, "Parameter 'text.body' has invalid value '5'", 400)),
        (
            {"to": "1", "text": {"body": "x", "caption": "c"}},
            (1010, "Parameter 'text.caption' is not required for type 'text'", 400),
        ),
        ({"to": "1", "text": {"body": "x" * 4097}}, (1001, "Text body must be at most 4096 characters, got 4097", 400)),
        (
            {"to": "1", "type": "image", "image": {"caption": "c"}},
            (1008, "Atleast one of the following parameters must be present: 'id', 'link'", 400),
        ),
        (
            {"to": "1", "type": "video", "video": {"id": "1", "link": "https://x.example/v.mp4"}},
            (1010, "Exactly one of the following parameters must be present: 'id', 'link'", 400),
        ),
        (
            {"to": "1", "type": "document", "document": {"link": "file:///etc/passwd"}},
            (1009, "Parameter 'document.link' has invalid value 'file:///etc/passwd'", 400),
        ),
        (
            {"to": "1", "type": "image", "image": {"link": "https:///no-host"}},
            (1009, "Parameter 'image.link' has invalid value 'https:///no-host'", 400),
        ),
        (
            {"to": "1", "type": "audio", "audio": {"id": "1", "caption": "c"}},
            (1010, "Parameter 'audio.caption' is not required for type 'audio'", 400),
        ),
        (
            {"to": "1", "type": "sticker", "sticker": {"link": "https://x.example/s.webp", "provider": {}}},
            (1008, "Parameter 'sticker.provider.name' is mandatory for type 'sticker'", 400),
        ),
        ([1, 2], (1025, "Request body must be a JSON object", 400)),
    ],
)
def test_errors(body, expected):
    assert error_of(body) == expected


def test_body_at_limit_is_accepted():
    assert validate_send({"to": "1", "text": {"body": "é" * 4096}}).content["text"]["body"] == "é" * 4096


def test_validation_order():
    # Everything is wrong: `to` is reported first, then `type`, then recipient_type...
    body = {"type": "foo", "recipient_type": "x", "preview_url": "y", "ttl": "", "image": {}}
    assert error_of(body)[0] == 1008
    body["to"] = "1"
    assert error_of(body)[1] == "Parameter 'type' has invalid value 'foo'"
    body["type"] = "text"
    assert error_of(body)[0] == 1002
    body["recipient_type"] = "individual"
    assert error_of(body)[1] == "Parameter 'preview_url' has invalid value 'y'"
    body["preview_url"] = False
    assert error_of(body)[1] == "Empty TTL value not allowed"
    body["ttl"] = 60
    assert error_of(body)[0] == 1010
    del body["image"]
    assert error_of(body)[1] == "Parameter 'text' is mandatory for type 'text'"


def test_every_listed_type_is_known():
    assert set(MESSAGE_TYPES) == {
        "text", "image", "audio", "video", "document", "location", "contacts",
        "template", "hsm", "interactive", "sticker", "reaction",
    }


@pytest.mark.parametrize(
    ("value", "seconds"), [("P1D", 86400), ("PT1H30M", 5400), ("3600", 3600), (120, 120), ("P1DT1S", 86401)]
)
def test_ttl_forms(value, seconds):
    assert ttl_seconds(value) == seconds


@pytest.mark.parametrize(("value", "seconds"), [(30 * 86400, 2592000), ("P30D", 2592000), ("PT1S", 1)])
def test_ttl_bounds_are_inclusive(value, seconds):
    assert ttl_seconds(value) == seconds


@pytest.mark.parametrize("value", [
    "P", "PT", "0", 0, -5, "1.5", True, "P1W",
    "５００", "P１D", 10**30, str(10**30), "P999999999D", 30 * 86400 + 1, "P31D",
])
def test_ttl_invalid(value):
    with pytest.raises(ApiError) as caught:
        ttl_seconds(value)
    assert caught.value.code == 1009


def test_mark_read_schema():
    assert validate_mark_read({"status": "read"}) == "read"
    for body, code, details in [
        ({}, 1008, "Missing mandatory parameter 'status'"),
        (None, 1008, "Missing mandatory parameter 'status'"),
        ({"status": "delivered"}, 1009, "Parameter 'status' has invalid value 'delivered'"),
    ]:
        with pytest.raises(ApiError) as caught:
            validate_mark_read(body)
        assert (caught.value.code, caught.value.details) == (code, details)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"to": "1", "text": None}, (1008, "Parameter 'text' is mandatory for type 'text'", 400)),
        (text(preview_url=None), (1009, "Parameter 'preview_url' has invalid value 'None'", 400)),
        (text(context=None), (1009, "Parameter 'context' has invalid value 'None'", 400)),
        (text(context={"message_id": "", "from": "x"}), (1010, "Parameter 'context.from' is not required", 400)),
        (text(context={"message_id": ""}), (1008, "Missing mandatory parameter 'context.message_id'", 400)),
        (text(context={"message_id": "é"}), (1009, "Parameter 'context.message_id' has invalid value 'é'", 400)),
        (text(type={"a": 1}), (1009, "Parameter 'type' has invalid value '{'a': 1}'", 400)),
        (text(to=0), (1009, "Parameter 'to' has invalid value '0'", 400)),
        (text(ttl="", image={}), (1009, "Empty TTL value not allowed", 400)),
        (text(image={}, context={"x": 1}), (1010, "Parameter 'image' is not required for type 'text'", 400)),
    ],
)
def test_edges_of_the_order_and_of_null(body, expected):
    assert error_of(body) == expected
