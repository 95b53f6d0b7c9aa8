"""Where a message's media is (services/message_types/carried_media.py): a media
message's own object, a template's media header, nothing for the other types."""

from __future__ import annotations

from services.message_types.carried_media import media_of, with_media

TEMPLATE = {"namespace": "ns", "name": "t", "language": {"policy": "deterministic", "code": "en"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ann"}]},
                           {"type": "header", "parameters": [{"type": "video", "video": {"id": "v1"}}]}]}


def test_a_media_message_carries_its_own_object():
    assert media_of("image", {"id": "m1", "caption": "hi"}) == ("image", {"id": "m1", "caption": "hi"})
    assert media_of("sticker", "not an object") is None
    assert with_media("image", {"id": "m1"}, {"media_id": "n1"}) == {"media_id": "n1"}


def test_a_template_carries_its_media_header():
    assert media_of("template", TEMPLATE) == ("video", {"id": "v1"})
    sent = with_media("template", TEMPLATE, {"media_id": "n1"})
    assert sent["components"][1] == {"type": "header", "parameters": [{"type": "video", "video": {"media_id": "n1"}}]}
    assert sent["components"][0] == TEMPLATE["components"][0]


def test_the_other_messages_carry_none():
    text_header = {**TEMPLATE, "components": [{"type": "header", "parameters": [{"type": "text", "text": "x"}]}]}
    assert media_of("template", text_header) is None
    assert media_of("template", {**TEMPLATE, "components": None}) is None
    assert media_of("text", {"body": "hi"}) is None
    assert media_of("hsm", {"namespace": "ns", "element_name": "t"}) is None
