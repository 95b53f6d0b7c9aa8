"""Preparing an accepted outbound media message (docs/design.md "Outbound media"): the
medium its message carries (services/message_types/carried_media.py: a media message's
object, or a template's media header).

One attempt, for one message (``Preparer.prepare``):

1. claim it (services/media/outbound_media.py): nobody else transfers it meanwhile;
2. open its bytes: the medium in the object store (by ``id``; its GC clock restarts),
   or the ``link`` downloaded to a temporary file, with the provider's credentials where
   its ``hosts`` let them go, under the egress policy (services/media_service/link_download.py);
3. encrypt them as they stream (services/protocol/media.py, a fresh media key) straight
   into the network's media store (services/media/network_media.py ``NetworkMedia``);
4. record the ``MediaPayload`` sealed in the message document (it holds the key), or
   the failure, and kick the contact's shard: the core sends it or fails it.

A transient failure (a store unreachable, a link answering 5xx) gives the claim back
and is tried again later (``preparation_rules.retry_delay``), up to ``MAX_ATTEMPTS``;
then, like any other failure, the message fails with its code. A lost kick or
countdown is found by the sweep (``overdue``), a dead worker's claim runs out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import redis
from celery import Celery
from pymongo.database import Database

from services.account import store as account_store
from services.callbacks.payloads import error_item
from services.cluster.shard_shape import CachedShape
from services.cluster.sharding import shard_for
from services.common import kicks
from services.common.clock import utcnow
from services.common.egress_rules import EgressAllow
from services.media import catalogue, outbound_media
from services.media import preparation_rules as rules
from services.media import providers as media_providers
from services.media.measured import TooLarge
from services.media.network_media import MediaNotFound, MediaTransferError, NetworkMedia
from services.media.object_store import ObjectStore, StoreUnavailable
from services.media_service import link_download
from services.message_types import media_types
from services.message_types.carried_media import media_of
from services.message_types.media_payload import MediaPayload
from services.protocol.keyring import Keys
from services.protocol.media import MediaDigest, encrypted_length, media_encryptor, new_media_key

log = logging.getLogger(__name__)

CLAIM = timedelta(seconds=60)
"""How long a claim holds without renewal; renewed every ``RENEW_SECONDS`` of transfer."""
RENEW_SECONDS = 15.0
SWEEP_GRACE = timedelta(seconds=15)
"""How long a preparation may wait for its kick before the sweep kicks it again."""


def sweep(preparer: Preparer) -> int:
    """Kick every preparation whose kick was lost (``outbound_media.overdue``); the media
    service runs it every few seconds. Stops at the first kick the broker refuses: the
    rest waits for the next sweep."""
    found = outbound_media.overdue(preparer.db, now=preparer.clock(), grace=SWEEP_GRACE)
    kicked = 0
    for message_id in found:
        if not kicks.kick_media_preparation(preparer.celery, message_id):
            break
        kicked += 1
    if kicked:
        log.info("re-kicked %d media preparation(s) whose kick was lost", kicked)
    return kicked


class MediaStore(Protocol):
    """The part of ``NetworkMedia`` (contract of issue 7) a preparation uses."""

    def upload(self, chunks: Iterable[bytes], length: int) -> str: ...


@dataclass
class Source:
    """The plaintext bytes of one message's media."""

    mime_type: str
    length: int
    chunks: Iterator[bytes]
    close: Callable[[], None]


class ClaimLost(Exception):
    """Another worker took the preparation over (ours stalled past its claim)."""


@dataclass
class Preparer:
    db: Database
    store: ObjectStore
    master_key: Keys
    network_url: str
    celery: Celery
    flags: redis.Redis | None
    shape: CachedShape
    network_media: Callable[[str, str], MediaStore] = NetworkMedia
    download_link: Callable[..., link_download.Downloaded] = link_download.download
    egress_allow: EgressAllow = field(default_factory=EgressAllow)
    """``WA_EGRESS_ALLOW``: the internal hosts a link may be on."""
    download_limits: link_download.Limits = field(default_factory=link_download.Limits)
    tls_ca_bundle: str | None = None
    clock: Callable[[], datetime] = utcnow
    _renewed_at: float = field(default=0.0, init=False)

    def prepare(self, message_id: str) -> str:
        """One attempt; what became of it: ``ready``, ``failed``, ``retry``, ``skipped``
        (nothing to do now) or ``lost`` (taken over)."""
        message = outbound_media.claim(self.db, message_id, now=self.clock(), hold=CLAIM)
        if message is None:
            return "skipped"
        try:
            payload = self._transfer(message)
        except ClaimLost:
            log.info("the preparation of %s was taken over", message_id)
            return "lost"
        except rules.PreparationFailed as failure:
            return self._failed(message, failure)
        except Exception as error:  # a bug or an outage we did not foresee: tried again, bounded
            log.exception("preparing the media of %s failed", message_id)
            return self._failed(message, rules.PreparationFailed(
                rules.INTERNAL_ERROR, f"Internal error while preparing the media ({error.__class__.__name__})",
                retryable=True))
        sealed = outbound_media.seal_payload(self.master_key, message_id, payload)
        if not outbound_media.finish(self.db, message, sealed):
            return "lost"
        self._kick_shard(message)
        return "ready"

    def _failed(self, message: dict[str, Any], failure: rules.PreparationFailed) -> str:
        attempts = int(message[outbound_media.FIELD]["attempts"])
        if failure.retryable and rules.may_retry(attempts):
            delay = rules.retry_delay(attempts)
            log.info("media of %s: attempt %d failed (%d), again in %.0f s",
                     message["_id"], attempts, failure.code, delay)
            if outbound_media.retry_later(self.db, message, not_before=self.clock() + timedelta(seconds=delay)):
                kicks.kick_media_preparation(self.celery, message["_id"], countdown=delay)
            return "retry"
        log.info("media of %s failed for good (%d)", message["_id"], failure.code)
        if not outbound_media.fail(self.db, message, error_item(failure.code, failure.details)):
            return "lost"
        self._kick_shard(message)
        return "failed"

    def _kick_shard(self, message: dict[str, Any]) -> None:
        kicks.kick_outbound(self.celery, shard_for(message["wa_id"], self.shape.shards()), self.flags)

    # --- one transfer ---------------------------------------------------------------

    def _transfer(self, message: dict[str, Any]) -> MediaPayload:
        account = account_store.load_registered(self.db, self.master_key)
        if account is None:
            raise rules.PreparationFailed(1011, "The client is not registered", retryable=True)
        carried = media_of(message["type"], message["content"][message["type"]])
        if carried is None:  # the gateway stores media_prep only beside a medium
            raise rules.PreparationFailed(rules.INTERNAL_ERROR, "The message carries no media")
        kind, obj = carried
        source = self._open(message, kind, obj)
        try:
            media_key = new_media_key()
            digests: list[MediaDigest] = []
            network = self.network_media(self.network_url, account.network_token)
            try:
                store_id = network.upload(self._encrypted(message, kind, media_key, source, digests),
                                          encrypted_length(source.length))
            except (MediaTransferError, MediaNotFound) as error:
                retryable = getattr(error, "retryable", True) and not isinstance(error, MediaNotFound)
                raise rules.PreparationFailed(
                    rules.INTERNAL_ERROR, "The encrypted media could not be uploaded to the network",
                    retryable=retryable) from None
            finally:
                close = getattr(network, "close", None)
                if close is not None:
                    close()
        finally:
            source.close()
        return MediaPayload.of(media_id=store_id, media_key=media_key, digest=digests[0], mime_type=source.mime_type,
                               caption=obj.get("caption"), filename=obj.get("filename"))

    def _encrypted(self, message: dict[str, Any], kind: str, media_key: bytes, source: Source,
                   digests: list[MediaDigest]) -> Iterator[bytes]:
        encryptor = media_encryptor(kind, media_key)
        self._renewed_at = time.monotonic()
        for chunk in source.chunks:
            self._keep_claim(message)
            out = encryptor.update(chunk)
            if out:
                yield out
        tail, digest = encryptor.finalize()
        digests.append(digest)
        yield tail

    def _keep_claim(self, message: dict[str, Any]) -> None:
        if time.monotonic() - self._renewed_at < RENEW_SECONDS:
            return
        if not outbound_media.renew(self.db, message, until=self.clock() + CLAIM):
            raise ClaimLost(message["_id"])
        self._renewed_at = time.monotonic()

    def _open(self, message: dict[str, Any], kind: str, obj: dict[str, Any]) -> Source:
        resolved = message["content"].get("resolved") or {}
        if "id" in obj:
            return self._open_medium(resolved.get("media_id") or obj["id"].lower())
        return self._open_link(media_types.BY_NAME[kind], obj)

    def _open_medium(self, media_id: str) -> Source:
        medium = catalogue.find(self.db, media_id)
        gone = rules.PreparationFailed(rules.NOT_FOUND, f"File with id {media_id} was deleted before it was sent")
        if medium is None:
            raise gone
        catalogue.mark_used(self.db, media_id, self.clock())
        try:
            reader = self.store.open(medium.object_key)
        except StoreUnavailable:
            raise rules.PreparationFailed(rules.INTERNAL_ERROR, "The media store is unreachable",
                                          retryable=True) from None
        if reader is None:
            raise gone
        return Source(medium.mime_type, medium.size, _store_chunks(reader.chunks()), reader.close)

    def _open_link(self, kind: media_types.MediaKind, obj: dict[str, Any]) -> Source:
        credentials = None
        provider_name = (obj.get("provider") or {}).get("name")
        if provider_name is not None:
            provider = media_providers.load(self.db, self.master_key, provider_name)
            if provider is None:
                raise rules.PreparationFailed(rules.NOT_FOUND, f"The media provider {provider_name} was deleted "
                                                               "before the message was sent")
            # The sealed hosts, not the clear copy the gateway checked (services/media/providers.py).
            credentials = link_download.Credentials(provider.name, provider.authorization(), provider.hosts)
        link = obj["link"]
        try:
            downloaded = self.download_link(link, credentials=credentials, max_bytes=kind.largest,
                                            allow=self.egress_allow, limits=self.download_limits,
                                            ca_bundle=self.tls_ca_bundle)
        except TooLarge as error:
            raise rules.too_large(kind, error.limit) from None
        try:
            mime_type = rules.link_mime_type(kind, downloaded.content_type, link)
            if mime_type is None:
                raise rules.PreparationFailed(rules.UNSUPPORTED_FORMAT,
                                              f"The media link's type is not one {rules.a_kind(kind)} may have")
            if downloaded.length == 0:
                raise rules.PreparationFailed(rules.DOWNLOAD_ERROR, "The media link's file is empty")
            head = downloaded.file.read(kind.probe_bytes)
            downloaded.file.seek(0)
            limit = kind.limit_for(head)
            if downloaded.length > limit:
                raise rules.too_large(kind, limit)
        except BaseException:
            downloaded.close()
            raise
        return Source(mime_type, downloaded.length, _file_chunks(downloaded.file), downloaded.close)


def _store_chunks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    except StoreUnavailable:
        raise rules.PreparationFailed(rules.INTERNAL_ERROR, "The media store is unreachable", retryable=True) from None


def _file_chunks(file: Any) -> Iterator[bytes]:
    while chunk := file.read(link_download.CHUNK):
        yield chunk
