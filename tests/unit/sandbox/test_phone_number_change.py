"""A virtual phone changing its number, and sending content the business does not support,
in-process against the real network objects."""

from __future__ import annotations

import pytest

from sandbox.errors import ApiError
from sandbox.network.registration import BUSINESS, User
from sandbox.network.service import Network
from sandbox.phones import PhoneBook, _check_message_body
from sandbox.unsupported import UNSUPPORTED_KINDS
from services import message_types


@pytest.fixture
def book() -> PhoneBook:
    network = Network()
    for wa_id in ("15550100", "15550200"):
        network.registry.users[wa_id] = User(wa_id=wa_id, kind=BUSINESS, name="Acme")
    return PhoneBook(network)


def _phone(book: PhoneBook, wa_id: str = "15551110000", talked_to: tuple[str, ...] = ("15550100",)):
    phone = book.create({"wa_id": wa_id, "name": "Alice"})
    for n, peer in enumerate(talked_to):
        phone.record({"direction": "in", "id": f"gBEG{n}", "peer": peer, "type": "text", "text": {"body": "x"},
                      "timestamp": 1, "status": "received"})
    return phone


def test_the_phone_keeps_its_device_under_the_new_number_and_its_businesses_are_told(book):
    phone = _phone(book)
    identity, history = phone.fingerprint(), list(phone.messages)
    network = book.network
    network.relay.queue_receipt(phone.wa_id, {"from": "15550100", "status": "read", "message_ids": ["x"]})

    assert book.change_number(phone, {"new_wa_id": "15552220000"}) == ["15550100"]

    assert book.get("15552220000") is phone and phone.wa_id == "15552220000"
    assert phone.fingerprint() == identity and phone.messages == history
    with pytest.raises(ApiError):
        book.get("15551110000")
    assert not network.registry.is_user("15551110000") and network.registry.is_user("15552220000")
    assert network.directory.has_keys("15552220000") and not network.directory.has_keys("15551110000")
    assert [item["type"] for item in network.relay.pending("15552220000")] == ["receipt"]  # still its own
    [told] = network.relay.pending("15550100")
    notification = told["notification"]
    assert notification == {"kind": "user_changed_number", "from": "15551110000", "old_wa_id": "15551110000",
                            "new_wa_id": "15552220000", "timestamp": notification["timestamp"]}
    assert network.relay.pending("15550200") == []  # never talked to this phone


@pytest.mark.parametrize(("body", "status"), [
    ({"new_wa_id": "15551110000"}, 400),  # its own number
    ({"new_wa_id": "12"}, 400),
    ({}, 400),
    ({"new_wa_id": "15550100"}, 409),  # a business
])
def test_bad_new_numbers_are_refused_and_change_nothing(book, body, status):
    phone = _phone(book)
    _phone(book, "15553330000")
    with pytest.raises(ApiError) as refused:
        book.change_number(phone, body)
    assert refused.value.status == status
    assert phone.wa_id == "15551110000" and book.network.relay.pending("15550100") == []


def test_taken_phone_numbers_are_refused(book):
    phone = _phone(book)
    _phone(book, "15553330000")
    with pytest.raises(ApiError) as refused:
        book.change_number(phone, {"new_wa_id": "15553330000"})
    assert refused.value.status == 409


def test_unsupported_kinds_are_sendable_but_not_a_misspelt_type():
    assert _check_message_body({"to": "15550100", "type": "poll", "poll": {"question": "Tea?"}})[1:3] == (
        "poll", {"question": "Tea?"})
    assert _check_message_body({"to": "15550100", "type": "ephemeral"})[2] == {}
    for bad in ({"to": "15550100", "type": "txet", "txet": {"body": "hi"}},
                {"to": "15550100", "type": "poll", "poll": "Tea?"}):
        with pytest.raises(ApiError) as refused:
            _check_message_body(bad)
        assert refused.value.status == 400


def test_unsupported_kinds_are_not_message_types_the_client_knows():
    assert not set(UNSUPPORTED_KINDS) & set(message_types.REGISTRY)
