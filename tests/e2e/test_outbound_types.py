"""Every non-media, non-template type a business sends, through the real processes:
what the phone decrypted and shows, and the statuses on the webhook."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.test_messaging import _phone_messages


def _send(api, to: str, body: dict[str, Any]) -> str:
    answer = api("POST", "/v1/messages", json={"to": to, **body})
    assert answer.status_code == 201, answer.text
    return answer.json()["messages"][0]["id"]


def _received(webhook, network, phone: str, message_id: str) -> dict[str, Any]:
    found = webhook.wait_for(lambda: [m for m in _phone_messages(network, phone, "in") if m["id"] == message_id])
    return found[0]


def _delivered(webhook, message_id: str) -> None:
    webhook.wait_for(lambda: [s for s in webhook.statuses(message_id) if s["status"] == "delivered"])


CARD = {
    "addresses": [{"street": "1 Hacker Way", "city": "Menlo Park", "state": "CA", "zip": "94025",
                   "country": "United States", "country_code": "us", "type": "WORK"}],
    "birthday": "2012-08-18",
    "emails": [{"email": "test@example.com", "type": "WORK"}],
    "name": {"formatted_name": "John Smith", "first_name": "John", "last_name": "Smith", "middle_name": "D",
             "suffix": "Jr", "prefix": "Dr"},
    "org": {"company": "Acme", "department": "Design", "title": "Manager"},
    "phones": [{"phone": "+1 (940) 555-1234", "type": "CELL", "wa_id": "19405551234"}],
    "urls": [{"url": "https://www.example.com", "type": "WORK"}],
}
LIST = {
    "type": "list", "header": {"type": "text", "text": "Our menu"}, "body": {"text": "What would you like?"},
    "footer": {"text": "Acme"},
    "action": {"button": "Choose", "sections": [
        {"title": "Drinks", "rows": [{"id": "tea", "title": "Tea", "description": "Hot"},
                                     {"id": "coffee", "title": "Coffee"}]},
        {"title": "Food", "rows": [{"id": "cake", "title": "Cake"}]},
    ]},
}
BUTTONS = {"type": "button", "body": {"text": "Confirm the order?"},
           "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                                  {"type": "reply", "reply": {"id": "no", "title": "No"}}]}}


@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        ("location", {"latitude": 37.4847, "longitude": -122.1477, "name": "HQ", "address": "1 Hacker Way"}),
        ("contacts", [CARD, {"name": {"formatted_name": "Jane"}}]),
        ("interactive", LIST),
        ("interactive", BUTTONS),
    ],
)
def test_the_phone_shows_exactly_what_was_sent(api, webhook, network, new_phone, kind, obj, customer_writes):
    phone = new_phone("Types")
    customer_writes(phone)
    message_id = _send(api, phone, {"type": kind, kind: obj})
    seen = _received(webhook, network, phone, message_id)
    assert seen["type"] == kind and seen[kind] == obj
    _delivered(webhook, message_id)


def test_text_with_a_link_preview(api, webhook, network, new_phone, customer_writes):
    phone = new_phone("Preview")
    customer_writes(phone)
    message_id = _send(api, phone, {"preview_url": True, "text": {"body": "see https://example.com/a"}})
    assert _received(webhook, network, phone, message_id)["text"] == {
        "body": "see https://example.com/a", "preview_url": True}


def test_reply_and_reaction_to_the_customers_message(api, webhook, network, new_phone):
    phone = new_phone("Quoting")
    said = network("POST", f"/sandbox/v1/phones/{phone}/messages",
                   json={"to": "15550100", "type": "text", "text": {"body": f"question {uuid.uuid4()}"}})
    assert said.status_code == 201, said.text
    question = said.json()["id"]
    webhook.wait_for(lambda: [m for m, _ in webhook.messages() if m["id"] == question])

    answer_id = _send(api, phone, {"text": {"body": "the answer"}, "context": {"message_id": question}})
    answer = _received(webhook, network, phone, answer_id)
    assert answer["context"] == {"id": question, "from": phone}

    reaction_id = _send(api, phone, {"type": "reaction", "reaction": {"message_id": question, "emoji": "👍"}})
    assert _received(webhook, network, phone, reaction_id)["reaction"] == {"message_id": question, "emoji": "👍"}
    removal_id = _send(api, phone, {"type": "reaction", "reaction": {"message_id": question, "emoji": ""}})
    assert _received(webhook, network, phone, removal_id)["reaction"] == {"message_id": question, "emoji": ""}


def test_a_reply_to_our_own_message_names_us_as_its_author(api, webhook, network, new_phone, registration,
        customer_writes):
    phone = new_phone("Self quote")
    customer_writes(phone)
    first = _send(api, phone, {"text": {"body": "first"}})
    _received(webhook, network, phone, first)
    follow_up = _send(api, phone, {"text": {"body": "about that"}, "context": {"message_id": first}})
    assert _received(webhook, network, phone, follow_up)["context"] == {"id": first, "from": registration["wa_id"]}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "location", "location": {"latitude": 100, "longitude": 0}}, 1009),
        ({"type": "contacts", "contacts": [{"name": {}}]}, 1008),
        ({"type": "interactive", "interactive": {**BUTTONS, "footer": {"text": "x" * 61}}}, 1009),
        ({"type": "reaction", "reaction": {"message_id": "x", "emoji": "no"}}, 1009),
        ({"type": "location", "location": {"latitude": 1, "longitude": 1}, "text": {"body": "x"}}, 1010),
        ({"text": {"body": "x"}, "context": {"id": "x"}}, 1010),
    ],
)
def test_invalid_objects_are_refused_with_the_on_prem_code(api, registration, body, code):
    answer = api("POST", "/v1/messages", json={"to": "15550009999", **body})
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["code"] == code
