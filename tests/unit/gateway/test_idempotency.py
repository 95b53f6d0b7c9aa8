import pytest

from services.api_gateway.idempotency import (
    INVALID_KEY,
    KEY_REUSED,
    MAX_KEY_LENGTH,
    parse_key,
    replayed_id,
    request_hash,
)
from services.common.errors import ApiError
from services.messages.idempotency import Record

BODY = {"to": "16315551234", "type": "text", "text": {"body": "hello", "preview_url": False}}


def test_no_header_is_no_key():
    assert parse_key(None) is None


@pytest.mark.parametrize("value", ["a", "8e03978e-40d5-43e8-bc93-6894a57f9324", '"quoted"', "order 42/line#1 ~",
                                   "x" * MAX_KEY_LENGTH])
def test_printable_ascii_keys_are_taken_verbatim(value):
    assert parse_key(value) == value


@pytest.mark.parametrize("value", ["", "x" * (MAX_KEY_LENGTH + 1), "tab\there", "new\nline", "caf\u00e9", "\x7f",
                                   "\u2603"])
def test_empty_long_or_non_printable_keys_are_1009(value):
    with pytest.raises(ApiError) as raised:
        parse_key(value)
    # The bad value is not echoed: it may be long or hold control characters.
    assert (raised.value.code, raised.value.status, raised.value.details) == (1009, 400, INVALID_KEY)


def test_the_hash_ignores_key_order_and_spacing():
    reordered = {"text": {"preview_url": False, "body": "hello"}, "type": "text", "to": "16315551234"}
    assert request_hash(BODY) == request_hash(reordered)


@pytest.mark.parametrize("other", [
    {**BODY, "text": {"body": "hello!", "preview_url": False}},
    {**BODY, "to": "16315551235"},
    {**BODY, "extra": None},
    None,
    [BODY],
])
def test_the_hash_tells_different_bodies_apart(other):
    assert request_hash(other) != request_hash(BODY)


def test_the_hash_takes_strings_json_cannot_encode():
    # A lone surrogate is refused by validation later; hashing it must not fail first.
    assert request_hash({"x": "\ud800"}) != request_hash({"x": "\ud801"})


def test_the_same_body_replays_the_recorded_id():
    record = Record(message_id="gBEGxyz", request_hash=request_hash(BODY))
    assert replayed_id(record, request_hash(BODY)) == "gBEGxyz"


def test_another_body_with_the_key_is_422_1009():
    record = Record(message_id="gBEGxyz", request_hash=request_hash(BODY))
    with pytest.raises(ApiError) as raised:
        replayed_id(record, request_hash({**BODY, "to": "1"}))
    assert (raised.value.code, raised.value.status, raised.value.details) == (1009, 422, KEY_REUSED)
