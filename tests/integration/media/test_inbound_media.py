"""An inbound medium's download record (``messages.received_media``) against real MongoDB."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from services.media import inbound_media
from services.message_types.media_payload import MediaPayload
from services.protocol.media import encrypt_media

MASTER = os.urandom(32)
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
HOLD = timedelta(seconds=60)


def _store(db, message_id: str, media_id: str, *, auto: bool = True, direction: str = "inbound") -> None:
    encrypted = encrypt_media(b"voice note", "voice")
    payload = MediaPayload.of(media_id="net-1", media_key=encrypted.media_key, digest=encrypted.digest,
                              mime_type="audio/ogg")
    field = inbound_media.new_field(MASTER, media_id=media_id, kind="voice", payload=payload, auto=auto, now=NOW)
    db.messages.insert_one({"_id": message_id, "direction": direction, "content": {"voice": {"id": media_id}},
                            "received_media": field})


def test_a_medium_is_found_by_its_id_on_inbound_messages_only(db):
    _store(db, "in1", "m-1")
    _store(db, "odd", "m-2", direction="outbound")
    assert inbound_media.message_naming(db, "m-1")["_id"] == "in1"
    assert inbound_media.download_state(db, "m-1") == inbound_media.PENDING
    assert inbound_media.message_naming(db, "m-2") is None and inbound_media.download_state(db, "m-2") is None


def test_one_fetch_holds_a_download_until_its_claim_runs_out(db):
    _store(db, "in1", "m-1")
    claimed = inbound_media.claim(db, "in1", inbound_media.PENDING, now=NOW, hold=HOLD)
    assert claimed["received_media"]["next_attempt_at"] == NOW + HOLD and claimed["received_media"]["attempts"] == 1
    assert inbound_media.claim(db, "in1", inbound_media.PENDING, now=NOW + timedelta(seconds=59), hold=HOLD) is None
    assert inbound_media.claim(db, "in1", inbound_media.ON_DEMAND, now=NOW + HOLD, hold=HOLD) is None  # not its state
    inbound_media.due_at(db, "in1", NOW + 2 * HOLD)  # renewed while the file streams
    assert inbound_media.claim(db, "in1", inbound_media.PENDING, now=NOW + HOLD, hold=HOLD) is None
    again = inbound_media.claim(db, "in1", inbound_media.PENDING, now=NOW + 2 * HOLD, hold=HOLD)
    assert again["received_media"]["attempts"] == 2


def test_a_finished_download_drops_the_sealed_payload(db):
    _store(db, "done", "m-1")
    _store(db, "failed", "m-2")
    inbound_media.finish(db, "done", None)
    inbound_media.finish(db, "failed", {"voice": {"id": "m-2"}, "errors": [{"code": 400}]})
    done, failed = db.messages.find_one({"_id": "done"}), db.messages.find_one({"_id": "failed"})
    assert done["received_media"]["download"] == inbound_media.DONE and "sealed" not in done["received_media"]
    assert done["content"] == {"voice": {"id": "m-1"}}
    assert failed["received_media"]["download"] == inbound_media.FAILED and "sealed" not in failed["received_media"]
    assert failed["content"]["errors"] == [{"code": 400}]


def test_overdue_finds_pending_downloads_due_before_the_cutoff(db):
    _store(db, "due", "m-1")
    _store(db, "later", "m-2")
    _store(db, "on_demand", "m-3", auto=False)
    _store(db, "odd", "m-4", direction="outbound")
    inbound_media.due_at(db, "later", NOW + HOLD)
    assert inbound_media.overdue(db, NOW + timedelta(seconds=1), 10) == ["m-1"]
    assert sorted(inbound_media.overdue(db, NOW + 2 * HOLD, 10)) == ["m-1", "m-2"]
    assert len(inbound_media.overdue(db, NOW + 2 * HOLD, 1)) == 1
