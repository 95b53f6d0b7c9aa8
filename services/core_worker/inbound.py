"""Draining a shard's inbound events: envelopes to decrypt and store, receipts to apply,
notifications from the network to handle.

Events were stored (and only then acknowledged to the network) by the connection, in
arrival order; they are processed in that order and deleted only once their effects
(message, contact, callback) are stored, so a crash in between replays them harmlessly.
"""

from __future__ import annotations

import logging
from typing import Any

from services import message_types
from services.account import store as account_store
from services.callbacks import inbound_callback
from services.common.clock import utcnow
from services.common.kicks import kick_outbound
from services.contacts import directory
from services.core_worker import (
    failures,
    identity_changes,
    notifications,
    number_changes,  # noqa: F401  (registers its notification handler)
    outbound,
    protocol_client,
    template_cache,  # noqa: F401 - registers the handler of "templates" notifications
)
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkRejected
from services.media import inbound_media
from services.message_types.received import UNKNOWN, receive
from services.messages import inbound_journal, inbound_messages, message_store, outbound_queue
from services.protocol import Envelope, ProtocolError
from services.stats import counters as stats_counters

log = logging.getLogger(__name__)

BATCH = 100


def drain(ctx: CoreContext, shard: int) -> int:
    """Process up to one batch of ``shard``'s events; the caller kicks again after a full one.

    Envelopes are handled one by one, in order (each moves its contact's ratchet);
    receipts are collected and recorded together at the end of the batch. The events
    are deleted only after that, so a crash replays the batch, which is harmless.
    """
    batch = inbound_journal.next_batch(ctx.db, ctx.shard_rows(shard), BATCH)
    receipts: list[dict[str, Any]] = []
    delivered = _DeliveredReceipts(ctx, shard, sum(event["kind"] == "envelope" for event in batch))
    for event in batch:
        ctx.check_fence()  # each event writes: stop at once if the shard is no longer ours
        if event["kind"] == "envelope":
            seq = delivered.next_seq()
            if _set_aside_on_failure(ctx, event, _receive_envelope):
                delivered.add(event["payload"], seq)
        elif event["kind"] == "receipt":
            receipts.append(event["payload"])
        elif event["kind"] == "notification":
            _set_aside_on_failure(ctx, event, notifications.handle)
    ctx.check_fence()
    _apply_receipts(ctx, receipts)
    _answer_retries(ctx, [r for r in receipts if r.get("status") == "retry"])
    delivered.queue()
    ctx.check_fence()
    if batch:
        inbound_journal.remove(ctx.db, [event["_id"] for event in batch])
    return len(batch)


class _DeliveredReceipts:
    """The ``delivered`` receipts of one batch: the business tells each sender that its
    message is stored (spec §15.3 "two ticks"), through the same durable queue as the
    read receipts (``outbound_receipts``, sent by the shard's outbound drain).

    Their sequence numbers are reserved before the batch is processed: a business that
    marks a message read while the batch is still running (its callback is already out)
    queues a ``read`` numbered after its ``delivered``. Two round trips per batch, the
    reservation and one insert_many, and one kick.
    """

    def __init__(self, ctx: CoreContext, shard: int, envelopes: int) -> None:
        self.ctx, self.shard = ctx, shard
        self._next = message_store.reserve_receipt_seqs(ctx.db, envelopes) if envelopes else 0
        self._stored: list[tuple[str, str, int]] = []

    def next_seq(self) -> int:
        """The seq of the next envelope's receipt (one per envelope, used or not)."""
        self._next += 1
        return self._next - 1

    def add(self, envelope: dict[str, Any], seq: int) -> None:
        self._stored.append((envelope["id"], envelope["from"], seq))

    def queue(self) -> None:
        if not self._stored:
            return
        message_store.queue_delivered_receipts(self.ctx.db, self._stored)
        kick_outbound(self.ctx.celery, self.shard, self.ctx.redis)


def _set_aside_on_failure(ctx: CoreContext, event: dict[str, Any], handle) -> Any:
    """``handle``'s result, or None when the event failed for good and was set aside."""
    try:
        return handle(ctx, event["payload"])
    except Exception as error:
        if failures.is_transient(error):
            raise
        # Kept, not dropped: an operator can look at it and replay it.
        log.exception("%s %s set aside in dead_events", event["kind"], event["_id"])
        inbound_journal.set_aside(ctx.db, event, error, utcnow())
        return None


def _apply_receipts(ctx: CoreContext, receipts: list[dict[str, Any]]) -> None:
    # delivered before read, so that a burst holding both records them in that order.
    for status in ("delivered", "read"):
        wanted = {
            (str(receipt.get("from")), message_id): int(receipt.get("timestamp", 0))
            for receipt in receipts if receipt.get("status") == status
            for message_id in receipt.get("message_ids", [])
        }
        if not wanted:
            continue
        messages = outbound_queue.find_outbound(ctx.db, [message_id for _, message_id in wanted])
        # A receipt only counts from the contact the message was sent to.
        items = [(message, wanted[(message["wa_id"], message["_id"])]) for message in messages
                 if (message["wa_id"], message["_id"]) in wanted]
        ctx.record_statuses(items, status)


def _answer_retries(ctx: CoreContext, retries: list[dict[str, Any]]) -> None:
    by_contact: dict[str, list[str]] = {}
    for receipt in retries:
        by_contact.setdefault(str(receipt.get("from")), []).extend(receipt.get("message_ids", []))
    for wa_id, message_ids in by_contact.items():
        outbound.resend(ctx, wa_id, message_ids)


def _receive_envelope(ctx: CoreContext, raw: dict[str, Any]) -> bool:
    """True when the message is stored (it then gets its delivered receipt)."""
    stored = inbound_messages.find_stored(ctx.db, raw.get("id"))
    if stored is not None:
        # Redelivered after we stored it: its key is spent, the message is kept. Its
        # receipt is queued again (a row still queued is left as it is), so a crash
        # between storing a batch and queueing its receipts loses none; a receipt
        # sent twice changes nothing at the phone. Its callback too, for a crash between
        # storing the message and queueing the callback (one still queued is left as it
        # is; one already delivered goes again, as at-least-once allows). An
        # auto-downloaded medium still pending is the media service's to announce.
        _hand_over(ctx, stored)
        return True
    try:
        envelope = Envelope.from_dict(raw)
        raw_plaintext = _decrypt(ctx, envelope)
    except (ProtocolError, ValueError, LookupError) as error:
        log.warning("undecryptable envelope %s: %s", raw.get("id"), error.__class__.__name__)
        _ask_for_retry(ctx, raw)
        return False
    try:
        plaintext = message_types.decode(raw_plaintext)
    except message_types.BadPlaintext:
        plaintext = message_types.Plaintext(UNKNOWN, None)
    return _store_message(ctx, envelope, plaintext)


def _ask_for_retry(ctx: CoreContext, raw: dict[str, Any]) -> None:
    """Tell the sender we could not decrypt it, so that it rebuilds its session and
    sends again (the sender bounds how often)."""
    account = account_store.load_registered(ctx.db, ctx.master_key)
    sender, message_id = raw.get("from"), raw.get("id")
    if account is None or not isinstance(sender, str) or not isinstance(message_id, str):
        return
    try:
        ctx.network(account.network_token).send_receipt(sender, "retry", [message_id])
    except NetworkRejected as error:
        log.info("retry receipt for %s refused: %s", message_id, error.code)


def _decrypt(ctx: CoreContext, envelope: Envelope) -> bytes:
    # One session load and one save; the identity and prekeys only for a new session,
    # whose one-time prekey is discarded (one-time prekeys are refilled after the batch).
    opened = protocol_client.build(ctx).open(envelope)
    if opened.new_session:
        identity_changes.notice(ctx, envelope.sender, opened.before, opened.after)
    return opened.plaintext


def _store_message(ctx: CoreContext, envelope: Envelope, plaintext: message_types.Plaintext) -> bool:
    profile_name = plaintext.profile_name
    received = receive(plaintext)
    content = received.webhook_fields()
    message_type = content.pop("type")
    now = utcnow()
    document = inbound_messages.new_document(wa_id=envelope.sender, message_type=message_type, content=content,
                                             timestamp=envelope.timestamp, now=now)
    if received.media is not None:
        # The key travels on sealed, in the same document: one write stores both.
        auto = message_type in ctx.settings()["media"]["auto_download"]
        document["received_media"] = inbound_media.new_field(
            ctx.master_key, media_id=content[message_type]["id"], kind=message_type, payload=received.media,
            auto=auto, now=now)
    stored = inbound_messages.store(ctx.db, envelope.id, document)
    directory.record_inbound(ctx.db, envelope.sender, now, profile_name)
    if not stored:  # a concurrent replay stored it first: hand over what it stored
        again = inbound_messages.find_any(ctx.db, envelope.id)
        if again is not None:
            _hand_over(ctx, again, profile_name)
    else:
        _hand_over(ctx, {"_id": envelope.id, **document}, profile_name)
    stats_counters.inc("messages_received", {"type": message_type}, int(stored))
    return stored


def _hand_over(ctx: CoreContext, message: dict[str, Any], profile_name: str | None = None) -> None:
    """What follows a stored message: its callback, or, for an auto-downloaded medium
    not yet fetched, the media service's kick (it queues the callback once the file is
    stored). The shard never waits for a transfer."""
    media = message.get("received_media")
    if media is not None and media.get("download") == inbound_media.PENDING:
        inbound_media.kick_fetch(ctx.celery, media["id"])
        return
    inbound_callback.queue(ctx.db, ctx.celery, message, profile_name)
