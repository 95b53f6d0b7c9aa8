"""The media service's outbound sweep (a periodic job of the media worker) on the real
MongoDB: preparations whose kick was lost are kicked again, and a broker that refuses
stops the sweep until its next interval."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.common.clock import utcnow
from services.common.queues import PREPARE_OUTBOUND_MEDIA
from services.media import outbound_media
from services.media_service import outbound
from services.media_service.outbound import Preparer
from services.messages import message_store


class Broker:
    def __init__(self, up: bool) -> None:
        self.up = up
        self.sent: list[tuple[str, list]] = []
        self.attempts = 0

    def send_task(self, name, args, **_options):  # noqa: ANN001, ANN201 - Celery's signature
        self.attempts += 1
        if not self.up:
            raise ConnectionRefusedError("redis down")
        self.sent.append((name, args))


def _pending(db) -> str:
    doc = message_store.new_outbound(db, message_id=f"gBEG{uuid.uuid4().hex}", wa_id="15550001",
                                     message_type="image", content={"image": {"link": "https://x.example/a.png"},
                                                                    "resolved": {"source": "link"}})
    doc.update(outbound_media.initial())
    message_store.store_outbound(db, doc)
    return doc["_id"]


def _preparer(db, broker: Broker, minutes_later: float) -> Preparer:
    # Only the database, the clock and the Celery app take part in a sweep.
    return Preparer(db=db, store=None, master_key=b"", network_url="", celery=broker,  # type: ignore[arg-type]
                    flags=None, shape=None, clock=lambda: utcnow() + timedelta(minutes=minutes_later))  # type: ignore[arg-type]


def test_the_sweep_kicks_preparations_overdue_by_the_grace(db):
    message_ids = {_pending(db), _pending(db)}
    broker = Broker(up=True)
    assert outbound.sweep(_preparer(db, broker, minutes_later=0)) == 0  # just accepted: not overdue
    assert outbound.sweep(_preparer(db, broker, minutes_later=1)) == 2
    assert {(name, args[0]) for name, args in broker.sent} == {(PREPARE_OUTBOUND_MEDIA, m) for m in message_ids}


def test_the_sweep_stops_at_the_first_kick_the_broker_refuses(db):
    _pending(db), _pending(db)
    broker = Broker(up=False)
    assert outbound.sweep(_preparer(db, broker, minutes_later=1)) == 0
    assert broker.attempts == 1  # the other waits for the next sweep
