"""The paused/disabled check at send time, against real MongoDB and Redis (no network
needed)."""

from __future__ import annotations

from services.common.clock import utcnow
from services.core_worker import send_checks
from services.messages import message_store
from services.templates import store as template_store


def _template(name: str, status: str = "APPROVED", language: str = "en_US") -> dict:
    return {"id": f"id-{name}", "namespace": "ns", "name": name, "language": language, "category": "UTILITY",
            "status": status, "components": [{"type": "BODY", "text": "Hello"}]}


def _accepted(db, message_id: str, name: str, status: str = "APPROVED", seq_type: str = "template") -> dict:
    resolved = {"language": "en_US", "template": _template(name, status)}
    content = {"template": {"namespace": "ns", "name": name}, "resolved": resolved}
    return message_store.insert_outbound(db, message_id=message_id, wa_id="15550003", message_type=seq_type,
                                         content=content)


def test_paused_and_disabled_templates_fail_the_rest_goes_on_in_order(ctx, db):
    db.contacts.insert_one({"_id": "15550003", "last_inbound_at": utcnow()})  # the text is inside the window
    template_store.replace_all(db, [_template("live"), _template("paused", "PAUSED"), _template("off", "DISABLED")])
    batch = [
        _accepted(db, "gBEG1", "live"),
        _accepted(db, "gBEG2", "paused"),  # paused after it was accepted
        message_store.insert_outbound(db, message_id="gBEG3", wa_id="15550003", message_type="text",
                                      content={"text": {"body": "x"}}),
        _accepted(db, "gBEG4", "off"),
        _accepted(db, "gBEG5", "gone", status="PAUSED"),  # no longer listed: the accepted status stands
        _accepted(db, "gBEG6", "gone"),
    ]
    sendable = send_checks.fail_unsendable(ctx, batch)
    assert [m["_id"] for m in sendable] == ["gBEG1", "gBEG3", "gBEG6"]
    errors = {doc["_id"]: doc["errors"][0]["code"] for doc in db.messages.find({"status": "failed"})}
    assert errors == {"gBEG2": 2061, "gBEG4": 2062, "gBEG5": 2061}
    assert db.messages.find_one({"_id": "gBEG4"})["errors"][0]["title"] == "Template disabled"
    assert db.pending_callbacks.count_documents({}) == 3
