"""Media as a whole: the catalogue's document and the store's object, kept in step.

- ``save``: the document first (``uploading``), then the bytes, streamed through a
  ``MeasuredReader``, then the document ``ready`` with the size and sha256 measured on
  the way. A failure at any step removes what the earlier steps wrote (as far as the
  servers let it: an ``uploading`` document left behind by an outage is the GC's,
  catalogue.STALE_UPLOAD) and raises the first error.
- ``save_received``: the same for an inbound medium under the id its message already
  names, from a reader that verifies as it goes (decrypting.py); repeatable.
- ``open``: the ready document and its object, for streaming.
- ``remove``: the object, then the document; repeating it after a failure finishes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pymongo.database import Database

from services.media import catalogue
from services.media.catalogue import Medium
from services.media.measured import MeasuredReader
from services.media.object_store import ObjectReader, ObjectStore, Readable

log = logging.getLogger(__name__)


def save(db: Database, store: ObjectStore, body: MeasuredReader, *, mime_type: str, owner: str) -> Medium:
    media_id = catalogue.new_id()
    key = catalogue.begin_upload(db, media_id, owner=owner, mime_type=mime_type)
    try:
        store.put_stream(key, body, mime_type, body.expected)
        medium = catalogue.complete_upload(db, media_id, size=body.size, sha256=body.sha256)
    except BaseException:
        _undo(db, store, media_id, key)
        raise
    if medium is None:  # only the GC removes an upload in progress, and only a stale one
        store.delete(key)
        raise LookupError(f"the document of upload {media_id} was removed during the upload")
    return medium


def save_received(db: Database, store: ObjectStore, body: Readable, *, media_id: str, message_id: str,
                  mime_type: str, size: int, sha256: str) -> None:
    """Stores a received file (``body`` yields exactly ``size`` bytes of hex ``sha256``,
    or raises). Nothing is left on a failure but what the GC finds; a medium already
    ready is left as it is."""
    key = catalogue.begin_download(db, media_id, mime_type=mime_type, message_id=message_id)
    if key is None:
        return
    try:
        store.put_stream(key, body, mime_type, size)
        medium = catalogue.complete_upload(db, media_id, size=size, sha256=sha256)
    except BaseException:
        _undo(db, store, media_id, key)
        raise
    if medium is None:
        store.delete(key)
        raise LookupError(f"the document of download {media_id} was removed during the download")


def _undo(db: Database, store: ObjectStore, media_id: str, key: str) -> None:
    """Best effort, keeping the caller's error: what cannot be undone now is the GC's.

    The object is deleted even when the store reported a failure: a write whose answer
    was lost may have been stored (and deleting a missing key is no error). The document
    goes only once the object surely has: while it stays, the GC knows of the object."""
    try:
        store.delete(key)
        catalogue.forget(db, media_id)
    except Exception as error:  # noqa: BLE001 - the first error is the one to report
        log.warning("could not undo the failed upload of %s (%s): left to the media GC",
                    media_id, error.__class__.__name__)


@dataclass
class OpenMedium:
    medium: Medium
    reader: ObjectReader


def open_medium(db: Database, store: ObjectStore, media_id: str) -> OpenMedium | None:
    medium = catalogue.find(db, media_id)
    if medium is None:
        return None
    reader = store.open(medium.object_key)
    if reader is None:
        log.warning("medium %s has a document but no object in the store", media_id)
        return None
    return OpenMedium(medium, reader)


def remove(db: Database, store: ObjectStore, media_id: str) -> bool:
    """Deletes the medium; False when there is none."""
    medium = catalogue.find(db, media_id)
    if medium is None:
        return False
    store.delete(medium.object_key)
    catalogue.forget(db, media_id)
    return True
