"""Templates through the real processes: created on the sandbox, checked by the gateway
against the core's cache, rendered by the phone; the 2000-range errors; paused and
disabled templates failing at send time; a quick-reply tap coming back as ``button``.

No test here calls ``customer_writes``: templates are how a business starts a
conversation, so they are delivered to phones that never wrote to it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.common.waiting import wait_for
from tests.e2e.test_messaging import _phone_messages

NS = "acme_ns"

ORDER_COMPONENTS = [
    {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
    {"type": "BODY", "text": "Hi {{1}}, your total is {{2}}. It ships on {{3}}."},
    {"type": "FOOTER", "text": "Acme Inc."},
    {"type": "BUTTONS", "buttons": [
        {"type": "URL", "text": "Track", "url": "https://shop.example/track/{{1}}"},
        {"type": "QUICK_REPLY", "text": "Stop updates"},
        {"type": "QUICK_REPLY", "text": "Talk to us"},
    ]},
]
CURRENCY = {"type": "currency", "currency": {"fallback_value": "$100.99", "code": "USD", "amount_1000": 100990}}
DATE = {"type": "date_time", "date_time": {"fallback_value": "February 25, 1977", "day_of_week": 5,
                                           "day_of_month": 25, "year": 1977, "month": 2, "hour": 15, "minute": 33}}


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def _create(network, name: str, language: str = "en_US", status: str = "APPROVED",
            components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body = {"namespace": NS, "name": name, "language": language, "category": "UTILITY",
            "components": components or ORDER_COMPONENTS, "status": status}
    answer = network("POST", "/sandbox/v1/templates", json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == status
    return answer.json()


def _order(name: str, code: str = "en_US", policy: str = "deterministic", components=None) -> dict[str, Any]:
    return {"type": "template", "template": {
        "namespace": NS, "name": name, "language": {"policy": policy, "code": code},
        "components": components if components is not None else [
            {"type": "header", "parameters": [{"type": "text", "text": "#1042"}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Ann"}, CURRENCY, DATE]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "1042"}]},
            {"type": "button", "sub_type": "quick_reply", "index": "1",
             "parameters": [{"type": "payload", "payload": "stop-1042"}]},
        ],
    }}


def _send(api, to: str, body: dict[str, Any]) -> str:
    answer = api("POST", "/v1/messages", json={"to": to, **body})
    assert answer.status_code == 201, answer.text
    return answer.json()["messages"][0]["id"]


def _received(webhook, network, phone: str, message_id: str) -> dict[str, Any]:
    return webhook.wait_for(lambda: [m for m in _phone_messages(network, phone, "in") if m["id"] == message_id])[0]


def _status(webhook, message_id: str, status: str) -> dict[str, Any]:
    return webhook.wait_for(lambda: [s for s in webhook.statuses(message_id) if s["status"] == status])[0]


RENDERED = ("Order #1042\n"
            "Hi Ann, your total is $100.99. It ships on February 25, 1977.\n"
            "Acme Inc.\n"
            "[Track](https://shop.example/track/1042)\n"
            "[Stop updates]\n"
            "[Talk to us]")


def test_a_new_template_is_usable_at_once_and_the_phone_shows_it_rendered(api, webhook, network, new_phone):
    name = _name("order")
    _create(network, name)
    phone = new_phone("Never wrote")  # no customer_writes: a template opens the conversation
    message_id = _send(api, phone, _order(name))
    seen = _received(webhook, network, phone, message_id)
    assert seen["type"] == "template"
    assert seen["template"]["rendered"] == RENDERED
    assert seen["template"]["buttons"][1] == {"type": "quick_reply", "text": "Stop updates", "payload": "stop-1042"}
    delivered = _status(webhook, message_id, "delivered")
    assert delivered["conversation"]["origin"]["type"] == "business_initiated"


def test_a_quick_reply_tap_reaches_the_webhook_as_button(api, webhook, network, new_phone, registration):
    name = _name("tap")
    _create(network, name)
    phone = new_phone("Tapper")
    message_id = _send(api, phone, _order(name))
    seen = _received(webhook, network, phone, message_id)
    tapped = next(b for b in seen["template"]["buttons"] if b["type"] == "quick_reply")
    answer = network("POST", f"/sandbox/v1/phones/{phone}/messages", json={
        "to": registration["wa_id"], "type": "button",
        "button": {"payload": tapped["payload"], "text": tapped["text"]}, "context": {"message_id": message_id}})
    assert answer.status_code == 201, answer.text
    tap_id = answer.json()["id"]
    message, contact = webhook.wait_for(lambda: [(m, c) for m, c in webhook.messages() if m["id"] == tap_id])[0]
    assert message["type"] == "button"
    assert message["button"] == {"payload": "stop-1042", "text": "Stop updates"}
    assert message["context"] == {"id": message_id, "from": registration["wa_id"]}
    assert contact["wa_id"] == phone


def test_the_legacy_hsm_form(api, webhook, network, new_phone):
    name = _name("hsm")
    _create(network, name, components=[{"type": "BODY", "text": "Hi {{1}}, you owe {{2}} since {{3}}."}])
    phone = new_phone("Legacy")
    message_id = _send(api, phone, {"type": "hsm", "hsm": {
        "namespace": NS, "element_name": name, "language": {"policy": "deterministic", "code": "en_US"},
        "localizable_params": [
            {"default": "Bob"},
            {"default": "$5.00", "currency": {"currency_code": "USD", "amount_1000": 5000}},
            {"default": "Monday", "date_time": {"unix_epoch": {"timestamp": 1485470276}}},
        ]}})
    seen = _received(webhook, network, phone, message_id)
    assert seen["type"] == "hsm"
    assert seen["hsm"]["rendered"] == "Hi Bob, you owe $5.00 since Monday."


def test_language_policies(api, webhook, network, new_phone):
    name = _name("lang")
    _create(network, name, language="en_US")
    _create(network, name, language="de", components=[
        {"type": "HEADER", "format": "TEXT", "text": "Bestellung {{1}}"}, *ORDER_COMPONENTS[1:]])
    phone = new_phone("Polyglot")
    # fallback: en_GB is not there, another English locale is.
    message_id = _send(api, phone, _order(name, "en_GB", "fallback"))
    assert _received(webhook, network, phone, message_id)["template"]["rendered"] == RENDERED
    # fallback: de_AT is not there, the bare language is.
    german = _send(api, phone, _order(name, "de_AT", "fallback"))
    assert _received(webhook, network, phone, german)["template"]["rendered"].startswith("Bestellung #1042\n")
    # deterministic: exactly the locale asked for, or an error.
    for code, expected in (("en_GB", 2003), ("fr", 2002)):
        answer = api("POST", "/v1/messages", json={"to": phone, **_order(name, code)})
        assert (answer.status_code, answer.json()["errors"][0]["code"]) == (404, expected), answer.text
    answer = api("POST", "/v1/messages", json={"to": phone, **_order(name, "fr", "fallback")})
    assert (answer.status_code, answer.json()["errors"][0]["code"]) == (404, 2002)


def _body(*parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "body", "parameters": list(parameters)}


def _text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


HEADER = {"type": "header", "parameters": [_text("#1")]}
URL_BUTTON = {"type": "button", "sub_type": "url", "index": "0", "parameters": [_text("1")]}


@pytest.fixture(scope="module")
def error_templates(network) -> dict[str, str]:
    names = {"order": _name("errors"), "image": _name("image")}
    _create(network, names["order"])
    _create(network, names["image"], components=[{"type": "HEADER", "format": "IMAGE"},
                                                 {"type": "BODY", "text": "Look at this"}])
    return names


@pytest.mark.parametrize(
    ("template", "components", "status", "code"),
    [
        ("unknown", [], 404, 2001),
        ("order", [HEADER, _body(_text("Ann"), CURRENCY), URL_BUTTON], 400, 2000),
        ("order", [HEADER, URL_BUTTON], 400, 2009),
        ("order", [HEADER, _body(_text("x" * 1025), CURRENCY, DATE), URL_BUTTON], 400, 2004),
        ("order", [HEADER, _body(_text("x" * 1000), CURRENCY, DATE), URL_BUTTON], 400, 2005),
        ("order", [HEADER, _body(_text("two\nlines"), CURRENCY, DATE), URL_BUTTON], 400, 2006),
        ("order", [HEADER, _body(_text("Ann"), CURRENCY, DATE),
                   {**URL_BUTTON, "parameters": [_text("has space")]}], 400, 2010),
        ("order", [{"type": "header", "parameters": [CURRENCY]}, _body(_text("Ann"), CURRENCY, DATE), URL_BUTTON],
         400, 2012),
        ("image", [{"type": "header", "parameters": [_text("not an image")]}], 400, 2012),
        ("image", [], 400, 2009),
        ("image", [{"type": "header", "parameters": [{"type": "image", "image": {"id": str(uuid.uuid4())}}]}],
         404, 1006),
        ("image", [{"type": "header", "parameters": [{"type": "video", "video": {"link": "https://x.example/a.mp4"}}]}],
         400, 2012),
    ],
)
def test_template_errors_are_synchronous_with_their_status(api, registration, error_templates,
                                                           template, components, status, code):
    name = error_templates.get(template, _name("absent"))
    answer = api("POST", "/v1/messages", json={"to": "15550009999", **_order(name, components=components)})
    assert answer.status_code == status, answer.text
    error = answer.json()["errors"][0]
    assert error["code"] == code and error["title"]


def test_a_paused_template_fails_with_2061(api, webhook, network, new_phone):
    name = _name("paused")
    _create(network, name, status="PAUSED")
    phone = new_phone("Paused")
    message_id = _send(api, phone, _order(name))
    failed = _status(webhook, message_id, "failed")
    assert failed["errors"][0]["code"] == 2061
    assert not [m for m in _phone_messages(network, phone, "in") if m["id"] == message_id]


def test_a_template_disabled_after_use_fails_with_2062(api, webhook, network, new_phone):
    name = _name("disabled")
    _create(network, name)
    phone = new_phone("Disabled")
    first = _send(api, phone, _order(name))
    _status(webhook, first, "delivered")
    _create(network, name, status="DISABLED")  # replaces it; the network tells the business
    # The notification refreshes the cache; until it is handled a send may still go out.
    def failed_send() -> dict | None:
        message_id = _send(api, phone, _order(name))
        outcome = webhook.wait_for(lambda: [s for s in webhook.statuses(message_id)
                                            if s["status"] in ("failed", "delivered")])[0]
        return outcome if outcome["status"] == "failed" else None

    outcome = wait_for(failed_send, timeout=30, interval=0.5, message="a send refused once the template is disabled")
    assert outcome["errors"][0]["code"] == 2062
