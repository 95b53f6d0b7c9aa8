"""What the message GC deletes, given documents and a clock (services/messages/gc_rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.messages import gc_rules

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=31)
RECENT = NOW - timedelta(days=29)


def outbound(status: str, created_at: datetime | None = OLD, message_id: str = "gBG1") -> dict:
    return {"_id": message_id, "direction": "outbound", "status": status, "created_at": created_at}


def inbound(status: str = "received", created_at: datetime | None = OLD, download: str | None = None,
            message_id: str = "ABG1") -> dict:
    message = {"_id": message_id, "direction": "inbound", "status": status, "created_at": created_at}
    if download is not None:
        message["received_media"] = {"download": download}
    return message


@pytest.mark.parametrize("status", ["delivered", "read", "failed"])
def test_an_old_outbound_message_in_a_final_state_is_garbage(status):
    assert gc_rules.deletable(outbound(status), NOW, set())


@pytest.mark.parametrize("status", ["accepted", "sent"])
def test_an_outbound_message_that_may_still_change_is_kept(status):
    assert not gc_rules.deletable(outbound(status), NOW, set())


@pytest.mark.parametrize("status", ["received", "read"])
def test_an_old_inbound_message_is_garbage(status):
    assert gc_rules.deletable(inbound(status), NOW, set())


def test_a_message_within_the_retention_is_kept():
    assert not gc_rules.deletable(outbound("read", RECENT), NOW, set())
    assert not gc_rules.deletable(inbound("read", RECENT), NOW, set())
    assert not gc_rules.deletable(outbound("read", None), NOW, set())  # no age: never


def test_the_retention_is_30_days_to_the_second():
    assert gc_rules.deletable(outbound("read", NOW - timedelta(days=30, seconds=1)), NOW, set())
    assert not gc_rules.deletable(outbound("read", NOW - timedelta(days=30)), NOW, set())


def test_an_inbound_message_whose_medium_is_being_fetched_is_kept():
    assert not gc_rules.deletable(inbound(download="pending"), NOW, set())
    assert gc_rules.deletable(inbound(download="done"), NOW, set())
    assert gc_rules.deletable(inbound(download="on_demand"), NOW, set())


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "failed"])
def test_an_outbound_message_with_a_status_callback_pending_is_kept(status):
    assert not gc_rules.deletable(outbound("read"), NOW, {f"status:gBG1:{status}"})
    assert gc_rules.deletable(outbound("read"), NOW, {f"status:other:{status}"})


@pytest.mark.parametrize("waiting", ["in:ABG1", "ABG1:delivered", "ABG1:read"])
def test_an_inbound_message_with_its_callback_or_a_receipt_pending_is_kept(waiting):
    assert not gc_rules.deletable(inbound(), NOW, {waiting})


def test_the_prefilter_takes_every_status_deletable_may_accept():
    statuses = set(gc_rules.prefilter(NOW)["status"]["$in"])
    assert statuses == {"delivered", "read", "failed", "received"}
    assert gc_rules.prefilter(NOW)["created_at"] == {"$lt": NOW - timedelta(days=30)}


def test_the_automatic_collection_needs_both_switches():
    on = {"db_garbagecollector_enable": True, "garbagecollector_enable": {"messages": True, "media": False}}
    assert gc_rules.automatic_enabled(on)
    assert not gc_rules.automatic_enabled({**on, "db_garbagecollector_enable": False})
    assert not gc_rules.automatic_enabled({**on, "garbagecollector_enable": {"messages": False}})
