import json
from datetime import UTC, datetime, timedelta

from services.callbacks import payloads as callback_payloads
from services.core_worker.outbound import plaintext_for
from services.messages import conversations


def test_inbound_message_callback_shape():
    payload = callback_payloads.inbound_message(
        wa_id="15550001", profile_name="Kerry", message_id="ABGG1", timestamp=1518694235,
        message={"type": "text", "text": {"body": "hi"}},
    )
    assert payload == {
        "contacts": [{"profile": {"name": "Kerry"}, "wa_id": "15550001"}],
        "messages": [{"from": "15550001", "id": "ABGG1", "timestamp": "1518694235", "type": "text",
                      "text": {"body": "hi"}}],
    }


def test_status_callback_shape_with_errors():
    payload = callback_payloads.status(
        message_id="gBEG1", recipient_id="155", status="failed", timestamp=5,
        errors=[callback_payloads.error_item(1013, "no")],
    )
    assert payload == {"statuses": [{"id": "gBEG1", "recipient_id": "155", "status": "failed", "timestamp": "5",
                                     "type": "message",
                                     "errors": [{"code": 1013, "title": "User is not valid", "details": "no"}]}]}


def test_conversation_window_and_origin():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    first, new = conversations.current(None, "155", now, None)
    assert new and first.origin == "business_initiated"
    same, new = conversations.current(first, "155", now + timedelta(hours=23), None)
    assert not new and same == first
    later, new = conversations.current(first, "155", now + timedelta(hours=25), now + timedelta(hours=20))
    assert new and later.origin == "user_initiated" and later.id != first.id
    fields = conversations.status_fields(later)
    assert fields["pricing"]["category"] == "user_initiated"
    assert fields["conversation"]["expiration_timestamp"] == str(int((now + timedelta(hours=49)).timestamp()))


def test_plaintext_is_the_on_prem_message_object_with_the_profile():
    message = {"type": "text", "content": {"text": {"body": "hey", "preview_url": True}, "ttl": 60}}
    assert json.loads(plaintext_for(message, "Acme")) == {
        "type": "text", "text": {"body": "hey", "preview_url": True}, "profile": {"name": "Acme"}}
    reply = {"type": "reaction", "content": {"reaction": {"message_id": "ABG", "emoji": "👍"},
                                             "context": {"message_id": "ABG"}}}
    assert json.loads(plaintext_for(reply, "Acme", "15550001")) == {
        "type": "reaction", "reaction": {"message_id": "ABG", "emoji": "👍"},
        "context": {"id": "ABG", "from": "15550001"}, "profile": {"name": "Acme"}}


def test_a_media_message_travels_with_its_prepared_payload():
    from services.core_worker.outbound import MediaPayloadUnreadable, failure_error

    message = {"type": "image", "content": {"image": {"id": "f043afd0", "caption": "c"},
                                            "resolved": {"source": "id"}}}
    payload = {"media_id": "net-1", "media_key": "k", "mime_type": "image/png", "caption": "c"}
    assert json.loads(plaintext_for(message, "Acme", body=payload)) == {
        "type": "image", "image": payload, "profile": {"name": "Acme"}}
    assert failure_error(MediaPayloadUnreadable("gBEG1")) == {
        "code": 1014, "title": "Internal error", "details": "The prepared media of the message could not be read"}
