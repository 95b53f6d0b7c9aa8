"""Fetching a contact's medium: the encrypted file from the network's media store,
verified and decrypted as it streams, into the object store under the media id its
message names; then, for an auto-downloaded type, the message's callback.

One fetch per medium at a time: a fetch first claims the message's download
(``received_media.next_attempt_at`` moved ahead by ``CLAIM``, renewed while the file streams),
so a duplicate kick, the sweep and a ``GET`` that arrive meanwhile find it taken. A
fetch that dies leaves its claim to run out, and the sweep (``sweep``) kicks it again.

Outcomes:
- the file verified: stored, the callback queued (auto-download), the download ``done``;
- the file failed its MAC or hashes, or the store no longer has it: nothing stored, the
  message's callback carries the §3.2 media download error (400), the download ``failed``;
- the network or the object store unreachable: retried later (an auto-download after
  ``RETRY_DELAYS``, and failed as above after the last; an on-demand one at the next GET).

The sealed payload (with the media key) is removed from the message once it served.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from celery import Celery
from pymongo.database import Database

from services.callbacks import inbound_callback
from services.callbacks import payloads as callback_payloads
from services.common.clock import utcnow
from services.media import inbound_media, library
from services.media.network_media import MediaNotFound, MediaTransferError
from services.media.object_store import ObjectStore, StoreUnavailable
from services.media_service.decrypting import DecryptingReader
from services.message_types.media_payload import MediaPayload
from services.protocol import ProtocolError
from services.protocol.keyring import Keys
from services.protocol.media import encrypted_length, media_decryptor

log = logging.getLogger(__name__)

CLAIM = timedelta(seconds=60)
"""How long a fetch holds its medium without renewing; renewed every ``RENEW_EVERY``
while the file streams, so only a dead fetch's claim runs out."""
RENEW_EVERY = 20.0
RETRY_DELAYS = (2, 4, 8, 16, 30, 60, 60, 60, 60, 60)
"""Seconds before each new attempt of an auto-download the network or the store
refused (about 6 minutes in all); after the last, the download fails with 400."""
SWEEP_GRACE = timedelta(seconds=10)
SWEEP_BATCH = 100

DOWNLOAD_ERROR = 400  # spec §3.2 "Media download error"

STORED = "stored"
FAILED = "failed"
RETRY = "retry"
BUSY = "busy"
MISSING = "missing"


class MediaSource(Protocol):
    """What a fetch reads the encrypted file from (``services.media.network_media``)."""

    def download(self, media_id: str, max_bytes: int) -> Iterator[bytes]: ...


@dataclass
class Fetching:
    """What a fetch needs (the media service builds one per process)."""

    db: Database
    store: ObjectStore
    celery: Celery
    master_key: Keys
    source: Callable[[], MediaSource | None]
    """The network's media store as the registered business, or None when unregistered."""


def fetch(deps: Fetching, media_id: str) -> str:
    """One attempt at ``media_id``; returns one of the outcomes above."""
    db = deps.db
    message = inbound_media.message_naming(db, media_id)
    if message is None:
        return MISSING
    state = message["received_media"]["download"]
    if state == inbound_media.DONE:
        return STORED
    if state == inbound_media.FAILED:
        return FAILED
    claimed = inbound_media.claim(db, message["_id"], state, now=utcnow(), hold=CLAIM)
    if claimed is None:
        return BUSY
    try:
        _transfer(deps, claimed)
    except (MediaTransferError, StoreUnavailable) as error:
        if isinstance(error, MediaTransferError) and not error.retryable:
            # The store refused it for good (a file over its announced size, say).
            log.warning("inbound medium %s refused by the network: %s", media_id, error.__class__.__name__)
            _finish(deps, claimed, failed="The sender's media could not be downloaded")
            return FAILED
        return _later(deps, claimed, error)
    except (ProtocolError, MediaNotFound, ValueError) as error:
        # A bad MAC or hash, a wrong length, the store without the file, a payload that
        # cannot be opened: no retry can fix it. The class only: never the key or bytes.
        log.warning("inbound medium %s of message %s failed: %s", media_id, message["_id"], error.__class__.__name__)
        _finish(deps, claimed, failed=_reason(error))
        return FAILED
    _finish(deps, claimed, failed=None)
    return STORED


def _renewing(chunks: Iterator[bytes], renew: Callable[[], None]) -> Iterator[bytes]:
    last = time.monotonic()
    for chunk in chunks:
        if time.monotonic() - last > RENEW_EVERY:
            renew()
            last = time.monotonic()
        yield chunk


def _transfer(deps: Fetching, message: dict[str, Any]) -> None:
    media = message["received_media"]
    media_id = media["id"]
    shown = message["content"][message["type"]]
    payload: MediaPayload = inbound_media.open_payload(deps.master_key, media)
    source = deps.source()
    if source is None:
        raise MediaTransferError("the business is not registered with the network")
    digest = payload.digest()

    def renew() -> None:
        inbound_media.due_at(deps.db, message["_id"], utcnow() + CLAIM)

    try:
        download = source.download(payload.media_id, encrypted_length(digest.file_length))
        try:
            body = DecryptingReader(_renewing(download, renew),
                                    media_decryptor(media["kind"], payload.key(), digest), digest.file_length)
            library.save_received(deps.db, deps.store, body, media_id=media_id, message_id=message["_id"],
                                  mime_type=shown["mime_type"], size=digest.file_length,
                                  sha256=digest.file_sha256.hex())
        finally:
            _close(download)  # the connection, also when the file was not read to its end
    finally:
        _close(source)


def _close(resource: object) -> None:
    close = getattr(resource, "close", None)
    if close is not None:
        close()


def _reason(error: Exception) -> str:
    if isinstance(error, MediaNotFound):
        return "The sender's media is no longer on the network"
    return "The sender's media failed its integrity check"


def _finish(deps: Fetching, message: dict[str, Any], *, failed: str | None) -> None:
    """Queue the callback (auto-download), then record the outcome. In that order: a
    crash in between leaves the download claimed, and its next attempt finds the file
    stored (or fails it again) and queues the same callback id, which is kept once."""
    content = dict(message["content"])
    if failed is not None:
        content["errors"] = [callback_payloads.error_item(DOWNLOAD_ERROR, failed)]
    if message["received_media"]["download"] == inbound_media.PENDING:
        inbound_callback.queue(deps.db, deps.celery, {**message, "content": content})
    inbound_media.finish(deps.db, message["_id"], content if failed is not None else None)


def _later(deps: Fetching, message: dict[str, Any], error: Exception) -> str:
    media = message["received_media"]
    log.info("inbound medium %s not fetched yet (%s)", media["id"], error.__class__.__name__)
    if media["download"] == inbound_media.ON_DEMAND:
        # Asked by a GET: the next GET tries again at once.
        inbound_media.due_at(deps.db, message["_id"], utcnow())
        return RETRY
    attempts = int(media.get("attempts", 1))
    if attempts > len(RETRY_DELAYS):
        _finish(deps, message, failed="The sender's media could not be downloaded")
        return FAILED
    delay = RETRY_DELAYS[attempts - 1]
    inbound_media.due_at(deps.db, message["_id"], utcnow() + timedelta(seconds=delay))
    inbound_media.kick_fetch(deps.celery, media["id"], countdown=delay)
    return RETRY


def wait_for(deps: Fetching, media_id: str, seconds: float, poll: float = 0.2) -> str:
    """Fetch ``media_id`` now, or wait (at most ``seconds``) for the fetch that holds it:
    what a ``GET /v1/media/{id}`` of a medium not stored yet asks."""
    deadline = time.monotonic() + seconds
    while True:
        outcome = fetch(deps, media_id)
        if outcome != BUSY or time.monotonic() >= deadline:
            return outcome
        time.sleep(poll)


def overdue(db: Database, now: datetime | None = None) -> list[str]:
    """Auto-downloads whose kick was lost or whose fetch died (claim run out)."""
    return inbound_media.overdue(db, (now or utcnow()) - SWEEP_GRACE, SWEEP_BATCH)


def sweep(deps: Fetching) -> int:
    """Kick every overdue auto-download; the media service runs it every few seconds."""
    media_ids = overdue(deps.db)
    for media_id in media_ids:
        inbound_media.kick_fetch(deps.celery, media_id)
    if media_ids:
        log.warning("media sweep re-kicked %d inbound download(s)", len(media_ids))
    return len(media_ids)
