"""The rules checked just before a message is sent: ttl, the 24-hour window, identity changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.core_worker.send_policy import DEFAULT_TTL, Recipient, in_service_window, refusal

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
WROTE_AN_HOUR_AGO = Recipient(last_inbound_at=NOW - timedelta(hours=1))


def _message(created_ago: timedelta = timedelta(seconds=1), ttl: int | None = None) -> dict:
    content: dict = {"text": {"body": "hi"}}
    if ttl is not None:
        content["ttl"] = ttl
    return {"_id": "m1", "type": "text", "content": content, "created_at": NOW - created_ago}


def _code(message, recipient=WROTE_AN_HOUR_AGO, free_form=True, block=False):
    error = refusal(message, recipient, free_form=free_form, now=NOW, block_identity_changes=block)
    return None if error is None else error["code"]


def test_a_fresh_message_to_a_customer_who_wrote_goes_out():
    assert _code(_message()) is None


@pytest.mark.parametrize(("ttl", "age", "expected"), [
    (60, timedelta(seconds=59), None),
    (60, timedelta(seconds=60), 410),
    (None, DEFAULT_TTL - timedelta(seconds=1), None),
    (None, DEFAULT_TTL, 410),
])
def test_a_message_not_sent_within_its_ttl_expires(ttl, age, expected):
    assert _code(_message(age, ttl)) == expected


def test_the_expiry_has_the_webhook_title():
    error = refusal(_message(timedelta(hours=1), 60), WROTE_AN_HOUR_AGO, free_form=True, now=NOW,
                    block_identity_changes=False)
    assert error["title"] == "Message expired" and error["details"]


@pytest.mark.parametrize(("last_inbound_at", "inside"), [
    (None, False),
    (NOW - timedelta(hours=23, minutes=59), True),
    (NOW - timedelta(hours=24), False),
    (NOW - timedelta(days=3), False),
])
def test_the_customer_service_window_is_24_hours_from_the_customers_last_message(last_inbound_at, inside):
    recipient = Recipient(last_inbound_at=last_inbound_at)
    assert in_service_window(recipient, NOW) is inside
    assert _code(_message(), recipient) == (None if inside else 470)


def test_templates_pass_outside_the_window():
    assert _code(_message(), Recipient(), free_form=False) is None


def test_an_unacknowledged_identity_change_blocks_only_with_security_notifications():
    changed = Recipient(last_inbound_at=NOW - timedelta(minutes=5), identity_unacknowledged=True)
    assert _code(_message(), changed, block=True) == 480
    assert _code(_message(), changed, block=False) is None
    assert _code(_message(), WROTE_AN_HOUR_AGO, block=True) is None


def test_recipient_from_a_contact_document():
    assert Recipient.from_doc(None) == Recipient()
    doc = {"_id": "1555", "last_inbound_at": NOW, "identity_acknowledged": False}
    assert Recipient.from_doc(doc) == Recipient(NOW, True)
    assert Recipient.from_doc({"identity_acknowledged": True}).identity_unacknowledged is False
    assert Recipient.from_doc({"last_inbound_at": NOW}).identity_unacknowledged is False


def _template_message(status: str = "APPROVED") -> dict:
    template = {"namespace": "ns", "name": "order", "language": "en_US", "status": status, "components": []}
    message = _message()
    message["type"] = "template"
    message["content"] = {"template": {"namespace": "ns", "name": "order"},
                          "resolved": {"language": "en_US", "template": template}}
    return message


@pytest.mark.parametrize(("status_now", "expected"), [
    ("APPROVED", None), ("PAUSED", 2061), ("DISABLED", 2062), (None, None),
])
def test_a_template_paused_or_disabled_since_it_was_accepted_fails(status_now, expected):
    error = refusal(_template_message(), Recipient(), free_form=False, now=NOW, block_identity_changes=False,
                    template_status=status_now)
    assert (None if error is None else error["code"]) == expected


def test_the_ttl_is_checked_before_the_template():
    message = _template_message()
    message["created_at"] = NOW - DEFAULT_TTL
    error = refusal(message, Recipient(), free_form=False, now=NOW, block_identity_changes=False,
                    template_status="PAUSED")
    assert error["code"] == 410
