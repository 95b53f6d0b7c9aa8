"""Contact checks (spec §7.1) as the gateway and the core both see them.

- The 7-day cache: ``contact_checks`` ``{_id: number, wa_id: str | None, checked_at}``,
  one document per number the network was asked about (``wa_id`` None: not a WhatsApp
  user). A TTL index removes old documents; reads also check the age themselves,
  because MongoDB's TTL monitor runs only once a minute.
- Pending non-blocking checks: ``contact_check_requests``
  ``{_id: check id, items: [[input, number], ...], attempts, next_attempt_at, created_at}``,
  stored before the API answers ``processing`` and deleted once their callback is queued.
- The result items of the API answer and of the §15.4 callback (pure).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

from services.common.clock import utcnow
from services.common.mongo import accepted

CACHE_TTL = timedelta(days=7)

VALID = "valid"
INVALID = "invalid"
PROCESSING = "processing"
FAILED = "failed"


# -- pure ------------------------------------------------------------------
def is_fresh(checked_at: datetime | None, now: datetime) -> bool:
    """A cached result counts for 7 days after its check (and not before it: a clock
    that went back does not make a result live longer)."""
    return checked_at is not None and timedelta(0) <= now - checked_at < CACHE_TTL


def result_item(input_: str, wa_id: str | None) -> dict[str, Any]:
    """The answer for one input the network was asked about."""
    if wa_id:
        return {"input": input_, "status": VALID, "wa_id": wa_id}
    return {"input": input_, "status": INVALID}


def status_item(input_: str, status: str) -> dict[str, Any]:
    """An answer without a wa_id: ``invalid``, ``processing`` or ``failed``."""
    return {"input": input_, "status": status}


def answer_items(
    pairs: Iterable[tuple[str, str | None]],
    results: dict[str, str | None],
    *,
    processing: frozenset[str] | set[str] = frozenset(),
    failed: frozenset[str] | set[str] = frozenset(),
) -> list[dict[str, Any]]:
    """The ``contacts`` of the API answer, one per ``(input, number)`` in request order.
    A number None (not a phone number) is ``invalid``; a number neither known, being
    processed nor failed (which a well-behaved core never leaves) is ``failed``."""
    items = []
    for input_, number in pairs:
        if number is None:
            items.append(status_item(input_, INVALID))
        elif number in processing:
            items.append(status_item(input_, PROCESSING))
        elif number in results and number not in failed:
            items.append(result_item(input_, results[number]))
        else:
            items.append(status_item(input_, FAILED))
    return items


def callback_payload(items: Iterable[tuple[str, str]], results: dict[str, str | None] | None) -> dict[str, Any]:
    """The §15.4 callback of a non-blocking check: one item per ``(input, number)``;
    ``results`` None means the check could not be made (every item ``failed``)."""
    if results is None:
        return {"contacts": [status_item(input_, FAILED) for input_, _ in items]}
    return {"contacts": [result_item(input_, results.get(number)) for input_, number in items]}


# -- MongoDB ---------------------------------------------------------------
def cached(db: Database, numbers: Iterable[str], now: datetime | None = None) -> dict[str, str | None]:
    """The fresh cached results among ``numbers``: number -> wa_id (None: not a user)."""
    now = now or utcnow()
    wanted = list(set(numbers))
    if not wanted:
        return {}
    return {
        doc["_id"]: doc.get("wa_id")
        for doc in db.contact_checks.find({"_id": {"$in": wanted}})
        if is_fresh(doc.get("checked_at"), now)
    }


def store(db: Database, results: dict[str, str | None], now: datetime | None = None) -> None:
    if not results:
        return
    now = now or utcnow()
    db.contact_checks.bulk_write(
        [UpdateOne({"_id": number}, {"$set": {"wa_id": wa_id, "checked_at": now}}, upsert=True)
         for number, wa_id in results.items()],
        ordered=False,
    )


def save_request(db: Database, check_id: str, items: list[tuple[str, str]]) -> None:
    """A non-blocking check, journaled before the API answers ``processing``."""
    now = utcnow()
    accepted(db, "contact_check_requests").insert_one(
        {"_id": check_id, "items": [list(item) for item in items], "attempts": 0,
         "next_attempt_at": now, "created_at": now}
    )


def load_request(db: Database, check_id: str) -> list[tuple[str, str]] | None:
    doc = db.contact_check_requests.find_one({"_id": check_id})
    if doc is None:
        return None
    return [(str(input_), str(number)) for input_, number in doc["items"]]


def delete_request(db: Database, check_id: str) -> None:
    """A check whose callback is queued: done."""
    db.contact_check_requests.delete_one({"_id": check_id})


def count_attempt(db: Database, check_id: str) -> int | None:
    """Count one more failed attempt of a stored check; returns how many there were
    with it (None: the check is done already)."""
    doc = db.contact_check_requests.find_one_and_update({"_id": check_id}, {"$inc": {"attempts": 1}})
    return None if doc is None else int(doc.get("attempts", 0)) + 1


def postpone_request(db: Database, check_id: str, until: datetime) -> None:
    """The next attempt is due at ``until`` (a later sweep looks for it only then)."""
    db.contact_check_requests.update_one({"_id": check_id}, {"$set": {"next_attempt_at": until}})


def claim_overdue_requests(db: Database, due_before: datetime, now: datetime, limit: int = 100) -> Iterator[str]:
    """The ids of up to ``limit`` stored checks due before ``due_before``, each claimed
    (due again at ``now``) as it is yielded: of several sweeping cores, one claims it."""
    for doc in db.contact_check_requests.find({"next_attempt_at": {"$lt": due_before}}).limit(limit):
        claimed = db.contact_check_requests.update_one(
            {"_id": doc["_id"], "next_attempt_at": doc["next_attempt_at"]}, {"$set": {"next_attempt_at": now}}
        )
        if claimed.modified_count:
            yield doc["_id"]


def ensure_indexes(db: Database) -> None:
    # The contacts cache (spec §7.1: 7 days); readers check the age too.
    db.contact_checks.create_index("checked_at", expireAfterSeconds=int(CACHE_TTL.total_seconds()))
    db.contact_check_requests.create_index("next_attempt_at")
