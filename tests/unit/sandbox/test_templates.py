"""The network's template store: validation, replacement, the notification to
businesses, and the snapshot round trip."""

from __future__ import annotations

import pytest

from sandbox.errors import ApiError
from sandbox.network.registration import BUSINESS, User
from sandbox.network.service import Network
from sandbox.network.templates import TemplateStore, check_template

TEMPLATE = {
    "namespace": "acme_ns", "name": "order_update", "language": "en_US", "category": "UTILITY",
    "components": [
        {"type": "BODY", "text": "Order {{1}} ships on {{2}}"},
        {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
        {"type": "FOOTER", "text": "Acme"},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Stop"},
                                        {"type": "URL", "text": "Track", "url": "https://x.example/{{1}}"}]},
    ],
}


def test_a_template_is_stored_in_component_order_and_approved_by_default():
    stored = TemplateStore().put(TEMPLATE)
    assert stored["status"] == "APPROVED" and stored["id"]
    assert [c["type"] for c in stored["components"]] == ["HEADER", "BODY", "FOOTER", "BUTTONS"]


def test_the_same_namespace_name_and_language_replaces():
    store = TemplateStore()
    first = store.put(TEMPLATE)
    paused = store.put({**TEMPLATE, "status": "PAUSED"})
    other = store.put({**TEMPLATE, "language": "en_GB"})
    assert paused["id"] == first["id"] and other["id"] != first["id"]
    assert [t["status"] for t in store.all()] == ["PAUSED", "APPROVED"]
    assert len(store.translations("acme_ns", "order_update")) == 2
    assert store.translations("acme_ns", "other") == []


@pytest.mark.parametrize(
    "change",
    [
        {"namespace": ""}, {"name": "Order Update"}, {"language": "english"}, {"category": "SPAM"},
        {"status": "LIVE"}, {"components": []}, {"components": [{"type": "FOOTER", "text": "x"}]},
        {"components": [{"type": "BODY", "text": "{{1}} and {{3}}"}]},
        {"components": [{"type": "BODY", "text": "x" * 1025}]},
        {"components": [{"type": "BODY", "text": "x"}, {"type": "BODY", "text": "y"}]},
        {"components": [{"type": "HEADER", "format": "GIF"}, {"type": "BODY", "text": "x"}]},
        {"components": [{"type": "HEADER", "text": "{{1}} {{2}}"}, {"type": "BODY", "text": "x"}]},
        {"components": [{"type": "BODY", "text": "x"}, {"type": "FOOTER", "text": "{{1}}"}]},
        {"components": [{"type": "BODY", "text": "x"}, {"type": "BUTTONS", "buttons": [{"type": "CALL"}]}]},
        {"components": [{"type": "BODY", "text": "x"},
                        {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "a", "url": "ftp://x"}]}]},
        {"components": [{"type": "BODY", "text": "x"},
                        {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "a", "url": "https://x/{{1}}/y"}]}]},
        {"extra": 1},
    ],
)
def test_what_could_not_have_been_approved_is_a_400(change):
    with pytest.raises(ApiError) as caught:
        check_template({**TEMPLATE, **change})
    assert caught.value.status == 400


def test_every_business_is_told_and_the_store_survives_a_snapshot():
    network = Network()
    network.registry.users["15550100"] = User("15550100", BUSINESS, "Acme")
    network.registry.add_phone("15550001111", "Alice")
    network.put_template(TEMPLATE)
    assert [i["notification"] for i in network.relay.pending("15550100")] == [{"kind": "templates"}]
    assert network.relay.pending("15550001111") == []  # phones are not told
    restored = Network()
    restored.load(network.to_dict())
    assert restored.templates.all() == network.templates.all()
