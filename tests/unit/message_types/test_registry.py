import pytest

from services import message_types
from services.message_types import Plaintext, decode
from services.message_types.plaintext import BadPlaintext
from services.message_types.received import receive


def test_every_outbound_type_of_the_spec_is_declared():
    assert set(message_types.outbound_names()) == {
        "text", "image", "audio", "video", "document", "location", "contacts",
        "template", "hsm", "interactive", "sticker", "reaction",
    }


def test_inbound_types_include_the_user_only_ones():
    names = set(message_types.inbound_names())
    assert {"text", "location", "contacts", "button", "interactive", "reaction"} <= names
    assert "template" not in names  # users do not send templates


def test_media_types_are_the_auto_download_choices_of_the_spec():
    assert set(message_types.media_names()) == {"audio", "document", "voice", "video", "image", "sticker"}


def test_plaintext_round_trip():
    sent = Plaintext("reaction", {"message_id": "gBEG", "emoji": "👍"}, context={"id": "gBEG", "from": "1555"},
                     profile_name="Alice")
    assert decode(sent.encode()) == sent


@pytest.mark.parametrize("raw", [b"\xff", b"[]", b'{"text": {}}', b'{"type": 5}', b"not json"])
def test_bad_plaintext(raw):
    with pytest.raises(BadPlaintext):
        decode(raw)


def test_received_known_type_keeps_its_object_and_context():
    got = receive(Plaintext("location", {"latitude": 1.5, "longitude": 2, "name": "Home"}, context={"id": "x"}))
    assert got.webhook_fields() == {
        "type": "location", "location": {"latitude": 1.5, "longitude": 2.0, "name": "Home"}, "context": {"id": "x"},
    }


@pytest.mark.parametrize(
    "plaintext",
    [
        Plaintext("poll", {"question": "?"}),
        Plaintext("location", {"latitude": 500, "longitude": 0}),
        Plaintext("template", {"namespace": "n"}),  # businesses send templates; users do not
        Plaintext("text", {"body": "x", "extra": 1}),
    ],
)
def test_received_unknown_or_malformed_is_unknown_with_501(plaintext):
    fields = receive(plaintext).webhook_fields()
    assert fields["type"] == "unknown"
    assert fields["errors"][0]["code"] == 501
    assert plaintext.type not in fields or plaintext.type == "unknown"
