"""Each declared type's object: what is accepted, and the On-Prem error for what is not."""

import pytest

from services import message_types
from services.common.egress_rules import parse_allow
from services.common.errors import ApiError


def outbound(type_name, obj):
    declared = message_types.get(type_name)
    return message_types.parse(declared.outbound, obj, type_name)


def error_of(type_name, obj, model="outbound"):
    declared = message_types.get(type_name)
    with pytest.raises(ApiError) as caught:
        message_types.parse(getattr(declared, model), obj, type_name)
    return caught.value.code, caught.value.details


def test_location():
    assert outbound("location", {"latitude": 52.5, "longitude": 13.4, "name": "Office", "address": "Main St 1"}) == {
        "latitude": 52.5, "longitude": 13.4, "name": "Office", "address": "Main St 1"}
    assert error_of("location", {"latitude": 52.5}) == (
        1008, "Parameter 'location.longitude' is mandatory for type 'location'")
    assert error_of("location", {"latitude": 91, "longitude": 0})[0] == 1009
    assert error_of("location", {"latitude": "52", "longitude": 0})[0] == 1009  # no coercion
    assert error_of("location", {"latitude": 1e400, "longitude": 0})[0] == 1009  # inf
    assert error_of("location", {"latitude": 1, "longitude": 1, "caption": "x"}) == (
        1010, "Parameter 'location.caption' is not required for type 'location'")


def test_contacts_cards():
    card = {
        "addresses": [{"street": "1 Hacker Way", "city": "Menlo Park", "state": "CA", "zip": "94025",
                       "country": "United States", "country_code": "us", "type": "HOME"}],
        "birthday": "2012-08-18",
        "emails": [{"email": "test@fb.com", "type": "WORK"}],
        "name": {"formatted_name": "John Smith", "first_name": "John", "last_name": "Smith",
                 "middle_name": "D", "suffix": "Jr", "prefix": "Dr"},
        "org": {"company": "WhatsApp", "department": "Design", "title": "Manager"},
        "phones": [{"phone": "+1 (940) 555-1234", "type": "HOME", "wa_id": "19405551234"}],
        "urls": [{"url": "https://www.fb.com", "type": "WORK"}],
    }
    assert outbound("contacts", [card]) == [card]
    assert error_of("contacts", [{"name": {"first_name": "x"}}]) == (
        1008, "Parameter 'contacts[0].name.formatted_name' is mandatory for type 'contacts'")
    assert error_of("contacts", [])[0] == 1009
    assert error_of("contacts", {"name": {"formatted_name": "x"}})[0] == 1009  # an array, not an object
    assert error_of("contacts", [{**card, "birthday": "18/08/2012"}])[0] == 1009
    assert error_of("contacts", [{**card, "phones": [{"phone": "1", "type": "PAGER"}]}])[0] == 1009


def _buttons(*titles):
    return {"type": "button", "body": {"text": "Pick one"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": f"b{i}", "title": t}}
                                   for i, t in enumerate(titles)]}}


def _list(rows=1, sections=1, row_title="Row"):
    return {"type": "list", "header": {"type": "text", "text": "Menu"}, "body": {"text": "Choose"},
            "footer": {"text": "Thanks"},
            "action": {"button": "Open", "sections": [
                {"title": f"S{s}", "rows": [{"id": f"r{s}-{r}", "title": row_title, "description": "d"}
                                            for r in range(rows)]} for s in range(sections)]}}


def test_interactive_buttons_and_lists():
    assert outbound("interactive", _buttons("Yes", "No"))["action"]["buttons"][1]["reply"] == {"id": "b1",
                                                                                               "title": "No"}
    assert outbound("interactive", _list(rows=5, sections=2))["action"]["sections"][1]["rows"][4]["id"] == "r1-4"
    assert error_of("interactive", _buttons("A", "B", "C", "D"))[0] == 1009  # at most 3
    assert error_of("interactive", _buttons("x" * 21)) == (
        1009, "Parameter 'interactive.action.buttons[0].reply.title' must be at most 20 characters, got 21")
    assert error_of("interactive", _list(rows=6, sections=2))[0] == 1009  # more than 10 rows in all
    assert error_of("interactive", _list(row_title="r" * 25))[0] == 1009
    assert error_of("interactive", {"type": "product", "body": {"text": "x"}}) == (
        1009, "Parameter 'interactive.type' has invalid value 'product'")
    assert error_of("interactive", {"body": {"text": "x"}})[0] == 1008
    no_body = _buttons("A")
    del no_body["body"]
    assert error_of("interactive", no_body) == (1008, "Parameter 'interactive.body' is mandatory for type "
                                                      "'interactive'")


def test_interactive_replies_from_users():
    assert message_types.parse(message_types.get("interactive").inbound,
                               {"type": "list_reply", "list_reply": {"id": "r1", "title": "Row"}},
                               "interactive") == {"type": "list_reply", "list_reply": {"id": "r1", "title": "Row"}}
    assert error_of("interactive", {"type": "button_reply"}, model="inbound")[0] == 1008


def test_reaction():
    assert outbound("reaction", {"message_id": "ABGG", "emoji": "\U0001F600"}) == {"message_id": "ABGG",
                                                                                  "emoji": "\U0001F600"}
    assert outbound("reaction", {"message_id": "ABGG", "emoji": ""})["emoji"] == ""  # removes it
    assert error_of("reaction", {"message_id": "ABGG", "emoji": "ok"})[0] == 1009
    assert error_of("reaction", {"emoji": "\U0001F600"})[0] == 1008


def test_lone_surrogates_are_invalid_not_a_crash():
    code, details = error_of("text", {"body": "bad \ud800 text"})
    assert code == 1009
    details.encode("utf-8")  # the answer itself can be encoded


MEDIUM = "f043afd0-f0ae-4b9c-ab3d-696fb4c8cd68"


class Business:
    """What the gateway's ``CachedBusiness`` answers, from a dict (the hooks are pure)."""

    def __init__(self, media=None, providers=(), hosts=("x.example",), allow=""):
        self.media = media or {}
        self.providers = set(providers)
        self.hosts = hosts
        self.allow = parse_allow(allow)

    def media_type(self, media_id):
        return self.media.get(media_id.lower())

    def has_media_provider(self, name):
        return name in self.providers

    def media_provider_hosts(self, name):
        return self.hosts

    def egress_allow(self):
        return self.allow


def resolve(type_name, obj, env):
    declared = message_types.get(type_name)
    return declared.resolve(outbound(type_name, obj), env)


def resolve_error(type_name, obj, env):
    with pytest.raises(ApiError) as caught:
        resolve(type_name, obj, env)
    return caught.value.code, caught.value.details


def test_media_kinds_are_sendable():
    for name in ("image", "video", "audio", "document", "sticker"):
        declared = message_types.get(name)
        assert declared.media and declared.available and declared.resolve is not None
    assert not message_types.get("voice").available  # businesses send audio
    assert error_of("image", {"id": "1", "link": "https://x"})[0] == 1010  # exactly one source
    assert error_of("image", {"link": "javascript:alert(1)"})[0] == 1009
    assert outbound("image", {"link": "HTTPS://x.example/a.png", "caption": "c"}) == {
        "link": "HTTPS://x.example/a.png", "caption": "c"}
    assert error_of("sticker", {"id": "1", "caption": "c"})[0] == 1010


def test_a_medium_must_be_ready_and_of_a_type_the_kind_takes():
    env = Business({MEDIUM: "image/png"})
    assert resolve("image", {"id": MEDIUM.upper()}, env) == {"source": "id", "media_id": MEDIUM,
                                                             "mime_type": "image/png"}
    assert resolve("document", {"id": MEDIUM, "filename": "a.png"}, env)["mime_type"] == "image/png"
    assert resolve_error("image", {"id": "f043afd0-0000-4000-8000-000000000000"}, env) == (
        1006, "File with id f043afd0-0000-4000-8000-000000000000 not found")
    assert resolve_error("video", {"id": MEDIUM}, env) == (2008, "Media of type 'image/png' cannot be sent as video")
    assert resolve_error("sticker", {"id": MEDIUM}, env)[0] == 2008
    assert resolve("sticker", {"id": MEDIUM}, Business({MEDIUM: "image/webp"}))["mime_type"] == "image/webp"
    assert resolve("audio", {"id": MEDIUM}, Business({MEDIUM: "audio/ogg; codecs=opus"}))["source"] == "id"
    assert resolve_error("image", {"id": MEDIUM, "provider": {"name": "p"}}, env)[0] == 1010


def test_a_link_may_name_only_a_configured_provider():
    env = Business(providers={"cdn"})
    assert resolve("video", {"link": "https://x.example/v.mp4", "provider": {"name": "cdn"}}, env) == {
        "source": "link"}
    assert resolve("video", {"link": "http://x.example/v.mp4"}, env) == {"source": "link"}
    assert resolve_error("video", {"link": "https://x.example/v.mp4", "provider": {"name": "other"}}, env) == (
        1009, "Parameter 'video.provider.name' has invalid value 'other': no such media provider")


@pytest.mark.parametrize("obj", [
    {"namespace": "ns", "name": "n", "language": {"policy": "deterministic", "code": "en"}, "components": [
        {"type": "body", "parameters": [
            {"type": "currency", "currency": {"fallback_value": "$1", "code": "USD", "amount_1000": 10**30}}]}]},
    {"namespace": "ns", "name": "n", "language": {"policy": "deterministic", "code": "en"}, "components": [
        {"type": "body", "parameters": [
            {"type": "date_time", "date_time": {"fallback_value": "then", "timestamp": 10**30}}]}]},
])
def test_numbers_too_large_to_store_are_invalid_not_a_crash(obj):
    assert error_of("template", obj)[0] == 1009



@pytest.mark.parametrize(("link", "refused"), [
    ("http://127.0.0.1:8080/a.png", "127.0.0.1 is a loopback address"),
    ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://[::1]/a.png", "::1 is a loopback address"),
    ("http://10.0.0.7/a.png", "10.0.0.7 is a private address"),
    ("http://2130706433/a.png", "127.0.0.1 is a loopback address"),
    ("http://[::ffff:10.0.0.7]/a.png", "::ffff:a00:7 carries 10.0.0.7, a private address"),
])
def test_a_link_to_a_refused_literal_address_is_refused_at_send_time(link, refused):
    code, details = resolve_error("image", {"link": link}, Business())
    assert code == 1009
    assert details == (f"Parameter 'image.link' has invalid value: {refused}, which the server does not connect "
                       "to unless WA_EGRESS_ALLOW allows it")
    assert link not in details  # a link may carry a token
    if "::ffff" not in link:  # an allowed IPv4 network does not allow its mapped IPv6 form
        allowing = Business(allow="127.0.0.0/8,10.0.0.0/8,::1,169.254.169.254")
        assert resolve("image", {"link": link}, allowing) == {"source": "link"}


def test_a_provider_must_name_the_links_host_and_have_hosts_at_all():
    env = Business(providers={"cdn"}, hosts=("cdn.example",))
    assert resolve("image", {"link": "https://cdn.example/a.png", "provider": {"name": "cdn"}}, env) == {
        "source": "link"}
    code, details = resolve_error("image", {"link": "https://evil.example/a.png", "provider": {"name": "cdn"}}, env)
    assert (code, details) == (1009, "Parameter 'image.provider.name' has invalid value 'cdn': the link's host "
                                     "evil.example:443 is not one of the provider's 'hosts'")
    code, details = resolve_error("image", {"link": "http://cdn.example/a.png", "provider": {"name": "cdn"}}, env)
    assert code == 1009 and "over https only" in details
    legacy = Business(providers={"old"}, hosts=None)
    code, details = resolve_error("image", {"link": "https://cdn.example/a.png", "provider": {"name": "old"}}, legacy)
    assert code == 1009 and "add 'hosts' to it" in details

def test_hsm_numbers_are_bounded_too():
    base = {"namespace": "ns", "element_name": "n", "language": {"policy": "fallback", "code": "en"}}
    huge_amount = {"default": "$1", "currency": {"currency_code": "USD", "amount_1000": 2**63}}
    huge_time = {"default": "then", "date_time": {"unix_epoch": {"timestamp": 2**63}}}
    for param in (huge_amount, huge_time):
        assert error_of("hsm", {**base, "localizable_params": [param]})[0] == 1009
    assert outbound("hsm", {**base, "localizable_params": [
        {"default": "$1", "currency": {"currency_code": "USD", "amount_1000": 1000}}]})


ORDER = {"catalog_id": "1234567890", "text": "for the party",
         "product_items": [{"product_retailer_id": "sku-1", "quantity": 2, "item_price": 12.5, "currency": "USD"},
                           {"product_retailer_id": "sku-2", "quantity": 1, "item_price": 3, "currency": "EUR"}]}


def inbound(type_name, obj):
    declared = message_types.get(type_name)
    return message_types.parse(declared.inbound, obj, type_name)


def test_an_order_is_inbound_only():
    assert inbound("order", ORDER) == ORDER
    assert message_types.get("order").outbound is None
    assert "order" in message_types.inbound_names() and "order" not in message_types.outbound_names()


@pytest.mark.parametrize(("item", "field"), [
    ({"quantity": 0}, "quantity"), ({"quantity": "2"}, "quantity"), ({"item_price": -1}, "item_price"),
    ({"item_price": 1e400}, "item_price"), ({"currency": "usd"}, "currency"), ({"product_retailer_id": ""},
                                                                                  "product_retailer_id"),
])
def test_an_order_item_out_of_bounds_is_1009(item, field):
    bad = {**ORDER, "product_items": [{**ORDER["product_items"][0], **item}]}
    code, details = error_of("order", bad, model="inbound")
    assert code == 1009 and f"order.product_items[0].{field}" in details


def test_an_order_needs_its_catalog_and_at_least_one_item():
    assert error_of("order", {**ORDER, "product_items": []}, model="inbound")[0] == 1009
    assert error_of("order", {"product_items": ORDER["product_items"]}, model="inbound")[0] == 1008
    assert error_of("order", {**ORDER, "total": 1}, model="inbound")[0] == 1010
