"""The template resolver and renderer (services/message_types/templates.py): every
2000-range code it answers, both language policies, what the phone shows, and the
paused/disabled check at send time."""

from __future__ import annotations

from typing import Any

import pytest

from services import message_types
from services.common.egress_rules import EgressAllow
from services.common.errors import ApiError
from services.message_types import templates

NS = "acme_ns"


def definition(language: str = "en_US", status: str = "APPROVED", name: str = "order_update",
               components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": f"t-{name}-{language}", "namespace": NS, "name": name, "language": language,
        "category": "UTILITY", "status": status,
        "components": components if components is not None else [
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
            {"type": "BODY", "text": "Hi {{1}}, you owe {{2}}, due {{3}}."},
            {"type": "FOOTER", "text": "Acme Inc."},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Track", "url": "https://x.example/track/{{1}}"},
                {"type": "QUICK_REPLY", "text": "Stop"},
                {"type": "QUICK_REPLY", "text": "More"},
            ]},
        ],
    }


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


CURRENCY = {"type": "currency", "currency": {"fallback_value": "$100.99", "code": "USD", "amount_1000": 100990}}
DATE = {"type": "date_time", "date_time": {"fallback_value": "February 25, 1977", "day_of_month": 25,
                                           "month": 2, "year": 1977}}


def request(code: str = "en_US", policy: str = "deterministic", name: str = "order_update",
            components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "namespace": NS, "name": name, "language": {"policy": policy, "code": code},
        "components": components if components is not None else [
            {"type": "header", "parameters": [text("#42")]},
            {"type": "body", "parameters": [text("Ann"), CURRENCY, DATE]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [text("42")]},
            {"type": "button", "sub_type": "quick_reply", "index": 1,
             "parameters": [{"type": "payload", "payload": "stop-42"}]},
        ],
    }


class Business:
    """A BusinessEnvironment over a list, counting refreshes; ``media`` (id -> MIME type)
    and ``providers`` are the business's media and media providers."""

    def __init__(self, cached: list[dict[str, Any]], network: list[dict[str, Any]] | None = None,
                 media: dict[str, str] | None = None, providers: tuple[str, ...] = ()) -> None:
        self.cached = cached
        self.network = network if network is not None else cached
        self.refreshes = 0
        self.media = media or {}
        self.providers = providers

    def media_type(self, media_id: str) -> str | None:
        return self.media.get(media_id.lower())

    def has_media_provider(self, name: str) -> bool:
        return name in self.providers

    def media_provider_hosts(self, name: str) -> tuple[str, ...] | None:
        return ("x.example",)

    def egress_allow(self) -> EgressAllow:
        return EgressAllow()

    def templates(self, namespace: str, name: str) -> list[dict[str, Any]]:
        return [t for t in self.cached if t["namespace"] == namespace and t["name"] == name]

    def refresh_templates(self) -> None:
        self.refreshes += 1
        self.cached = list(self.network)


def resolve(obj: dict[str, Any], *translations: dict[str, Any], kind: str = "template",
            **assets: Any) -> dict[str, Any]:
    declared = message_types.get(kind)
    parsed = message_types.parse(declared.outbound, obj, kind)
    return declared.resolve(parsed, Business(list(translations), **assets))


def error_of(obj: dict[str, Any], *translations: dict[str, Any], kind: str = "template",
             **assets: Any) -> tuple[int, int]:
    with pytest.raises(ApiError) as caught:
        resolve(obj, *translations, kind=kind, **assets)
    return caught.value.code, caught.value.status


def shown(obj: dict[str, Any], *translations: dict[str, Any], kind: str = "template") -> dict[str, Any]:
    declared = message_types.get(kind)
    env = Business(list(translations))
    return declared.display(message_types.parse(declared.outbound, obj, kind), env)


# -- translations ---------------------------------------------------------------------------
def test_a_valid_send_resolves_to_its_translation():
    assert resolve(request(), definition()) == {"language": "en_US", "template": definition()}


def test_deterministic_needs_exactly_the_language_and_locale():
    assert error_of(request("en_GB"), definition("en_US")) == (2003, 404)  # the language, another locale
    assert error_of(request("de"), definition("en_US")) == (2002, 404)  # not the language at all
    assert error_of(request("en"), definition("en_US")) == (2003, 404)


@pytest.mark.parametrize(
    ("code", "available", "chosen"),
    [
        ("en_US", ["en", "en_US"], "en_US"),
        ("en_GB", ["en", "en_US"], "en"),
        ("en_GB", ["en_US", "en_AU"], "en_AU"),
        ("en", ["en_US"], "en_US"),
    ],
)
def test_fallback_takes_the_language_then_another_locale(code, available, chosen):
    got = resolve(request(code, "fallback"), *[definition(language) for language in available])
    assert got["language"] == chosen


def test_fallback_without_the_language_is_2002():
    assert error_of(request("de_DE", "fallback"), definition("en_US")) == (2002, 404)


def test_unknown_or_rejected_names_are_2001():
    assert error_of(request(name="nope"), definition()) == (2001, 404)
    assert error_of(request(), definition(status="REJECTED")) == (2001, 404)
    # A rejected translation is absent, the others still count.
    assert error_of(request(), definition(status="REJECTED"), definition("en_GB")) == (2003, 404)


def test_paused_and_disabled_templates_are_accepted_and_fail_at_send_time():
    for status, code in (("PAUSED", 2061), ("DISABLED", 2062)):
        accepted = resolve(request(), definition(status=status))["template"]
        error = templates.send_failure(accepted, None)
        assert error == {"code": code, "title": f"Template {status.lower()}",
                         "details": f"Template 'order_update' is {status.lower()}"}
    approved = definition()
    assert templates.send_failure(approved, None) is None
    assert templates.send_failure(approved, "PAUSED")["code"] == 2061  # paused after it was accepted
    assert templates.send_failure(definition(status="PAUSED"), "APPROVED") is None  # and resumed


def test_a_miss_refreshes_the_cache_once_and_looks_again():
    declared = message_types.get("template")
    obj = message_types.parse(declared.outbound, request(), "template")
    business = Business([], network=[definition()])
    assert declared.resolve(obj, business)["language"] == "en_US"
    assert business.refreshes == 1
    missing = Business([], network=[])
    with pytest.raises(ApiError) as caught:
        declared.resolve(obj, missing)
    assert caught.value.code == 2001 and missing.refreshes == 1
    cached = Business([definition()])
    declared.resolve(obj, cached)
    assert cached.refreshes == 0


# -- parameters ----------------------------------------------------------------------------
def _with(body=None, header=None, buttons=None) -> dict[str, Any]:
    components = request()["components"]
    if header is not None:
        components[0] = header
    if body is not None:
        components[1] = body
    if buttons is not None:
        components[2:] = buttons
    return request(components=[c for c in components if c])


@pytest.mark.parametrize(
    ("obj", "code"),
    [
        # 2000: a component's parameter count
        (_with(body={"type": "body", "parameters": [text("Ann"), CURRENCY]}), 2000),
        (_with(header={"type": "header", "parameters": [text("a"), text("b")]}), 2000),
        (_with(buttons=[{"type": "button", "sub_type": "url", "index": "0", "parameters": []}]), 2000),
        # 2009: a component whose parameters are needed is missing
        (_with(body={}), 2009),
        (_with(header={}), 2009),
        (_with(buttons=[]), 2009),
        # 2004: a parameter too long; 2005: the rendered text too long
        (_with(header={"type": "header", "parameters": [text("x" * 61)]}), 2004),
        (_with(body={"type": "body", "parameters": [text("x" * 1025), CURRENCY, DATE]}), 2004),
        (_with(body={"type": "body", "parameters": [text("x" * 1000), CURRENCY, DATE]}), 2005),
        (_with(header={"type": "header", "parameters": [text("x" * 56)]}), 2005),
        # 2006: whitespace policy
        (_with(body={"type": "body", "parameters": [text("a\nb"), CURRENCY, DATE]}), 2006),
        (_with(body={"type": "body", "parameters": [text("a\tb"), CURRENCY, DATE]}), 2006),
        (_with(body={"type": "body", "parameters": [text("a     b"), CURRENCY, DATE]}), 2006),
        # 2010: the URL suffix does not make a URL
        (_with(buttons=[{"type": "button", "sub_type": "url", "index": "0", "parameters": [text("a b")]}]), 2010),
        # 2012: a parameter of another format than the template's
        (_with(header={"type": "header", "parameters": [CURRENCY]}), 2012),
        (_with(buttons=[{"type": "button", "sub_type": "quick_reply", "index": "0"}]), 2012),
        (_with(buttons=[{"type": "button", "sub_type": "url", "index": "0",
                         "parameters": [{"type": "payload", "payload": "x"}]}]), 2012),
        # 1009: a button the template does not have, two components for one button or two bodies
        (_with(buttons=[{"type": "button", "sub_type": "url", "index": "0", "parameters": [text("1")]},
                        {"type": "button", "sub_type": "quick_reply", "index": "7"}]), 1009),
        (_with(buttons=[{"type": "button", "sub_type": "url", "index": "0", "parameters": [text("1")]},
                        {"type": "button", "sub_type": "url", "index": 0, "parameters": [text("1")]}]), 1009),
        (request(components=[*request()["components"], {"type": "body", "parameters": []}]), 1009),
    ],
)
def test_parameter_errors(obj, code):
    assert error_of(obj, definition())[0] == code


def test_four_spaces_are_allowed():
    assert resolve(_with(body={"type": "body", "parameters": [text("a    b"), CURRENCY, DATE]}), definition())


def test_a_header_for_a_template_without_one_is_2000():
    bare = definition(components=[{"type": "BODY", "text": "Hello"}])
    assert error_of(request(components=[{"type": "header", "parameters": [text("x")]}]), bare)[0] == 2000
    assert resolve(request(components=[]), bare)["language"] == "en_US"
    assert resolve({"namespace": NS, "name": "order_update", "language": {"policy": "deterministic",
                                                                             "code": "en_US"}}, bare)


IMAGE_HEADER = definition(components=[{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "Look"}])
DOCUMENT_HEADER = definition(components=[{"type": "HEADER", "format": "DOCUMENT"}, {"type": "BODY", "text": "Read"}])
PHOTO_ID = "f3b1c0de-0000-4000-8000-000000000001"
PDF_ID = "f3b1c0de-0000-4000-8000-000000000002"
MEDIA = {PHOTO_ID: "image/jpeg", PDF_ID: "application/pdf"}


def header(kind: str, obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "header", "parameters": [{"type": kind, kind: obj}]}]


def test_a_media_header_takes_one_parameter_of_its_kind():
    assert error_of(request(components=[]), IMAGE_HEADER) == (2009, 400)
    assert error_of(request(components=[{"type": "header", "parameters": [text("x")]}]), IMAGE_HEADER) == (2012, 400)
    assert error_of(request(components=header("video", {"id": PHOTO_ID})), IMAGE_HEADER, media=MEDIA) == (2012, 400)
    assert error_of(request(components=header("document", {"id": PDF_ID})), IMAGE_HEADER, media=MEDIA) == (2012, 400)
    two = [{"type": "header", "parameters": [{"type": "image", "image": {"id": PHOTO_ID}}] * 2}]
    assert error_of(request(components=two), IMAGE_HEADER, media=MEDIA) == (2000, 400)
    # a text header given a medium
    assert error_of(request(components=header("image", {"id": PHOTO_ID})), definition(), media=MEDIA)[0] == 2012


def test_a_media_header_by_id_is_checked_like_a_media_message():
    resolved = resolve(request(components=header("image", {"id": PHOTO_ID.upper()})), IMAGE_HEADER, media=MEDIA)
    assert resolved["template"] == IMAGE_HEADER
    assert resolved["header_media"] == {"source": "id", "media_id": PHOTO_ID, "mime_type": "image/jpeg"}
    assert error_of(request(components=header("image", {"id": "nope"})), IMAGE_HEADER, media=MEDIA) == (1006, 404)
    # a PDF is not an image (2008), but is a document
    assert error_of(request(components=header("image", {"id": PDF_ID})), IMAGE_HEADER, media=MEDIA)[0] == 2008
    assert resolve(request(components=header("document", {"id": PDF_ID, "filename": "a.pdf"})), DOCUMENT_HEADER,
                   media=MEDIA)["header_media"]["mime_type"] == "application/pdf"


def test_a_media_header_by_link_needs_its_provider():
    by_link = {"link": "https://x.example/a.jpg", "provider": {"name": "cdn"}}
    with pytest.raises(ApiError) as caught:
        resolve(request(components=header("image", by_link)), IMAGE_HEADER)
    assert caught.value.code == 1009
    assert "template.components[0].parameters[0].image.provider.name" in caught.value.details
    resolved = resolve(request(components=header("image", by_link)), IMAGE_HEADER, providers=("cdn",))
    assert resolved["header_media"] == {"source": "link"}
    with pytest.raises(ApiError) as caught:
        resolve(request(components=header("image", {"id": PHOTO_ID, "provider": {"name": "cdn"}})), IMAGE_HEADER,
                media=MEDIA, providers=("cdn",))
    assert caught.value.code == 1010


def test_a_text_header_resolves_without_header_media():
    assert "header_media" not in resolve(request(), definition())


def test_media_header_finds_the_parameter_and_with_header_media_replaces_it():
    obj = request(components=[*header("document", {"link": "https://x.example/a.pdf", "filename": "a.pdf"}),
                              {"type": "body", "parameters": [text("Ann")]}])
    found = templates.media_header(obj)
    assert (found.kind, found.obj) == ("document", {"link": "https://x.example/a.pdf", "filename": "a.pdf"})
    assert found.path == "template.components[0].parameters[0].document"
    replaced = templates.with_header_media(obj, {"media_id": "m1"})
    assert replaced["components"][0]["parameters"] == [{"type": "document", "document": {"media_id": "m1"}}]
    assert replaced["components"][1] == obj["components"][1]
    assert obj["components"][0]["parameters"][0]["document"]["filename"] == "a.pdf"  # not changed in place
    for no_media in (request(), request(components=[]), {"components": "x"}, None,
                     {"components": [{"type": "header", "parameters": [{"type": "image", "image": "x"}]}]}):
        assert templates.media_header(no_media) is None


# -- what the phone shows ----------------------------------------------------------------------
def test_the_phone_shows_the_rendered_text_and_the_buttons():
    seen = shown(request(), definition())
    assert seen["rendered"] == (
        "Order #42\n"
        "Hi Ann, you owe $100.99, due February 25, 1977.\n"
        "Acme Inc.\n"
        "[Track](https://x.example/track/42)\n"
        "[Stop]\n"
        "[More]"
    )
    assert seen["buttons"] == [
        {"type": "url", "text": "Track", "url": "https://x.example/track/42"},
        {"type": "quick_reply", "text": "Stop", "payload": "stop-42"},
        {"type": "quick_reply", "text": "More", "payload": "More"},  # no payload given: the button's text
    ]
    assert seen["name"] == "order_update"  # the object itself is kept


def test_the_phone_shows_none_for_a_template_it_cannot_find_or_read():
    assert shown(request(), definition("de"))["rendered"] is None
    display = message_types.get("template").display
    business = Business([definition()])
    for garbled in ({**request(), "components": [{"type": "footer"}]}, {**request(), "components": [3]},
                    {"namespace": NS}):
        assert display(garbled, business)["rendered"] is None
    assert display("not an object", business) == "not an object"


def test_hsm_params_are_the_body_and_render_by_default():
    plain = definition(components=[{"type": "BODY", "text": "Hi {{1}}, you owe {{2}}, due {{3}}."}])
    hsm = {"namespace": NS, "element_name": "order_update", "language": {"policy": "fallback", "code": "en"},
           "localizable_params": [
               {"default": "Ann"},
               {"default": "$100.99", "currency": {"currency_code": "USD", "amount_1000": 100990}},
               {"default": "Feb 25", "date_time": {"unix_epoch": {"timestamp": 1485470276}}},
           ]}
    assert resolve(hsm, plain, kind="hsm")["language"] == "en_US"
    assert shown(hsm, plain, kind="hsm")["rendered"] == "Hi Ann, you owe $100.99, due Feb 25."
    assert error_of({**hsm, "localizable_params": hsm["localizable_params"][:2]}, plain, kind="hsm")[0] == 2000
    assert error_of({**hsm, "localizable_params": None}, plain, kind="hsm")[0] == 2009
    # A template whose header needs a parameter cannot be sent as hsm.
    assert error_of(hsm, definition(), kind="hsm")[0] == 2009


# -- the request models ---------------------------------------------------------------------------
def parse_error(kind: str, obj: dict[str, Any]) -> tuple[int, str]:
    declared = message_types.get(kind)
    with pytest.raises(ApiError) as caught:
        message_types.parse(declared.outbound, obj, kind)
    return caught.value.code, caught.value.details


def test_model_wording_has_dotted_paths_without_union_tags():
    assert parse_error("template", {"name": "x", "language": {"policy": "fallback", "code": "en"}}) == (
        1008, "Parameter 'template.namespace' is mandatory for type 'template'")
    assert parse_error("hsm", {"element_name": "x", "language": {"policy": "fallback", "code": "en"}}) == (
        1008, "Parameter 'hsm.namespace' is mandatory for type 'hsm'")
    assert parse_error("template", {**request(), "language": {"code": "en"}}) == (
        1008, "Parameter 'template.language.policy' is mandatory for type 'template'")
    assert parse_error("template", {**request(), "language": {"policy": "fallback"}}) == (
        1008, "Parameter 'template.language.code' is mandatory for type 'template'")
    assert parse_error("template", request(components=[{"type": "body", "parameters": [{"type": "text"}]}])) == (
        1008, "Parameter 'template.components[0].parameters[0].text' is mandatory for type 'template'")
    assert parse_error("template", request(components=[{"type": "body", "parameters": [
        {"type": "currency", "currency": {"fallback_value": "x", "code": "usd", "amount_1000": 1}}]}])) == (
        1009, "Parameter 'template.components[0].parameters[0].currency.code' has invalid value 'usd'")
    assert parse_error("template", request(components=[{"type": "footer"}]))[0] == 1009
    assert parse_error("template", request(components=[{"type": "body", "extra": 1}])) == (
        1010, "Parameter 'template.components[0].extra' is not required for type 'template'")
    call_button = {"type": "button", "sub_type": "call", "index": "0"}
    assert parse_error("template", request(components=[call_button]))[0] == 1009
    date_both = {"type": "date_time", "date_time": {"fallback_value": "x", "month": 1, "timestamp": 2}}
    assert parse_error("template", request(components=[{"type": "body", "parameters": [date_both]}]))[0] == 1009
    hsm_date = {"default": "x", "date_time": {}}
    assert parse_error("hsm", {"namespace": NS, "element_name": "x", "language": {"policy": "fallback", "code": "en"},
                               "localizable_params": [hsm_date]})[0] == 1009


def test_templates_open_a_business_initiated_conversation():
    for kind in ("template", "hsm"):
        declared = message_types.get(kind)
        assert declared.available and not declared.free_form and declared.resolve is not None
