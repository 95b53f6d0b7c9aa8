"""Draining a shard's outbound work: messages to encrypt and send, receipts to send.

Messages leave strictly in ``seq`` order per shard. A network failure stops the
drain where it is (the message stays ``accepted``) and the caller retries later, so
a later message can never overtake an earlier one.

A media message the media service has not prepared yet holds its contact: it and the
contact's later messages are left out of the batch (other contacts go on), and the
media service kicks the shard once it is ready or failed (services/media/outbound_media.py).
The core never transfers media itself: it sends the prepared ``MediaPayload``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from services.account import store as account_store
from services.callbacks import payloads as callback_payloads
from services.core_worker import (
    failures,
    identity_changes,
    protocol_client,
    receipt_batches,
    send_checks,
    send_policy,
)
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkClient, NetworkRejected, NotAUser
from services.media import outbound_media
from services.message_types import Plaintext
from services.message_types.carried_media import with_media
from services.messages import outbound_queue
from services.protocol import Outgoing, PrekeyBundle, ProtocolClient, ProtocolError, Session
from services.protocol.client import FetchBundle
from services.sessions import session_store
from services.stats import counters as stats_counters

log = logging.getLogger(__name__)

BATCH = 100


def plaintext_for(message: dict[str, Any], profile_name: str, quoted_from: str | None = None,
                  body: Any = None) -> bytes:
    """What the recipient's device decrypts (services.message_types.plaintext); ``body``:
    a prepared message's ``MediaPayload``, sent in place of the medium's object (the
    media message's own, or a template's header parameter's: carried_media.py)."""
    content = message["content"]
    context = None
    if "context" in content:
        context = {"id": content["context"]["message_id"]}
        if quoted_from:
            context["from"] = quoted_from
    kind = message["type"]
    return Plaintext(kind, content[kind] if body is None else with_media(kind, content[kind], body), context=context,
                     profile_name=profile_name).encode()


def _quoted_senders(ctx: CoreContext, account, messages: list[dict[str, Any]]) -> dict[str, str]:
    """Who wrote each message these replies quote (one query for the batch)."""
    quoted = [m["content"]["context"]["message_id"] for m in messages if "context" in m["content"]]
    if not quoted:
        return {}
    return outbound_queue.quoted_authors(ctx.db, quoted, account.wa_id)


def drain(ctx: CoreContext, shard: int) -> int:
    """Send up to one batch of what is pending for ``shard``; returns how many items.

    One batch at a time, so that inbound work queued on the same shard is not starved
    while the API keeps accepting messages; the caller kicks again after a full batch.
    Raises NetworkError when the network is unreachable: the caller retries.
    """
    account = account_store.load_registered(ctx.db, ctx.master_key)
    if account is None:
        return 0
    network = ctx.network(account.network_token)
    handled = _send_messages(ctx, network, account, shard)
    handled += _send_receipts(ctx, network, shard)
    return handled


def _send_messages(ctx: CoreContext, network: NetworkClient, account, shard: int) -> int:
    rows = ctx.shard_rows(shard)
    heads, released = _held_heads(ctx, rows)
    batch = outbound_queue.next_accepted(ctx.db, {**rows, **outbound_media.not_held(heads)}, BATCH)
    if not batch:
        return released
    contacts = send_checks.load_contacts(ctx, batch)
    sendable = send_checks.fail_unsendable(ctx, batch, contacts)
    protocol = protocol_client.build(ctx)
    by_contact: dict[str, list[dict[str, Any]]] = {}
    held: set[str] = set()
    for message in sendable:  # dicts keep insertion order: per contact, still in seq order
        wa_id = message["wa_id"]
        media_state = outbound_media.state_of(message)
        if wa_id in held:
            continue
        if media_state == outbound_media.PENDING:  # stored after _held_heads looked
            held.add(wa_id)
            continue
        if media_state == outbound_media.FAILED:
            # In order: what the contact was sent before it went out, what follows goes on.
            earlier = by_contact.pop(wa_id, [])
            if earlier:
                _send_or_fail(ctx, network, account, protocol, wa_id, earlier, contact=contacts.get(wa_id, {}))
            _record_failed(ctx, [message], outbound_media.error_of(message))
            continue
        by_contact.setdefault(wa_id, []).append(message)
    for wa_id, messages in by_contact.items():
        _send_or_fail(ctx, network, account, protocol, wa_id, messages, contact=contacts.get(wa_id, {}))
    return len(batch) + released


def _held_heads(ctx: CoreContext, rows: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The media messages that hold their contacts now, and how many were released
    instead: a message waiting for its media is still subject to the send-time rules
    (its ttl, the 24-hour window), so that it fails rather than waits for ever."""
    heads = outbound_media.held_heads(ctx.db, rows)
    if not heads:
        return [], 0
    still = send_checks.fail_unsendable(ctx, heads)
    return still, len(heads) - len(still)


def _send_or_fail(ctx: CoreContext, network: NetworkClient, account, protocol: ProtocolClient, wa_id: str,
                  messages: list[dict[str, Any]], fetch_bundle: FetchBundle | None = None,
                  contact: dict[str, Any] | None = None) -> None:
    """``contact``: the recipient's contact document when the caller loaded it already."""
    try:
        _send_to_contact(ctx, network, account, protocol, wa_id, messages, fetch_bundle, contact)
    except Exception as error:
        if failures.is_transient(error):
            raise
        # Not retryable: fail these messages rather than block the whole shard.
        log.exception("sending to %s failed", wa_id)
        _fail(ctx, messages, error)


def _send_to_contact(ctx: CoreContext, network: NetworkClient, account, protocol: ProtocolClient, wa_id: str,
                     messages: list[dict[str, Any]], fetch_bundle: FetchBundle | None = None,
                     contact: dict[str, Any] | None = None) -> None:
    quoted = _quoted_senders(ctx, account, messages)
    outgoing = [_outgoing(ctx, account, message, quoted) for message in messages]
    ctx.check_fence()  # the seal saves the session: a write of the shard's owner
    try:
        # One session load and one save for the batch, saved before anything is sent:
        # a crash after sending must not reuse these keys.
        envelopes = protocol.seal(account.wa_id, wa_id, outgoing, fetch_bundle or network.fetch_bundle)
    except (NetworkRejected, ProtocolError, IdentityChangeBlocked) as error:
        _fail(ctx, messages, error)
        return
    ctx.check_fence()
    results = network.submit_envelopes([envelope.to_dict() for envelope in envelopes])
    ctx.check_fence()  # a paused owner that lost the shard meanwhile records nothing
    sent: list[tuple[dict[str, Any], int]] = []
    refused: dict[str, list[dict[str, Any]]] = {}
    for message, envelope, result in zip(messages, envelopes, results, strict=True):
        if "error" in result:
            refused.setdefault(str(result["error"]), []).append(message)
        else:
            sent.append((message, int(result.get("timestamp", envelope.timestamp))))
    ctx.record_statuses(sent, "sent", contacts=None if contact is None else {wa_id: contact})
    for code, failed in refused.items():
        # Refused for good (unlike NetworkError, which is retried).
        _fail(ctx, failed, NotAUser(404, code) if code == "not_a_user" else NetworkRejected(400, code))


def _outgoing(ctx: CoreContext, account, message: dict[str, Any], quoted: dict[str, str]) -> Outgoing:
    context = message["content"].get("context")
    body = None
    if outbound_media.state_of(message) == outbound_media.READY:
        try:
            body = outbound_media.open_payload(ctx.master_key, message)
        except (ProtocolError, ValueError):  # not this message's seal (a restored or edited document)
            raise MediaPayloadUnreadable(message["_id"]) from None
    plaintext = plaintext_for(message, account.vname, quoted.get(context["message_id"]) if context else None, body)
    return Outgoing(message["_id"], int(time.time()), plaintext)


class MediaPayloadUnreadable(Exception):
    """A prepared media message whose sealed payload does not open (another master key,
    a document copied from another message): it can never be sent."""


def failure_error(error: Exception) -> dict[str, Any]:
    """The webhook error for a send the network refused for good."""
    if isinstance(error, MediaPayloadUnreadable):
        return callback_payloads.error_item(1014, "The prepared media of the message could not be read")
    if isinstance(error, NotAUser):
        return callback_payloads.error_item(1013, "The recipient is not a WhatsApp user")
    if isinstance(error, IdentityChangeBlocked):
        return send_policy.identity_change_error()
    if isinstance(error, ProtocolError):
        return callback_payloads.error_item(500, "The recipient's keys could not be verified")
    if isinstance(error, NetworkRejected):
        return callback_payloads.error_item(500, f"The network refused the message: {error.code}")
    return callback_payloads.error_item(1014, "Internal error while sending the message")


def _fail(ctx: CoreContext, messages: list[dict[str, Any]], error: Exception) -> None:
    if not messages:
        return
    log.info("%d message(s) to %s failed: %s", len(messages), messages[0]["wa_id"], error.__class__.__name__)
    _record_failed(ctx, messages, failure_error(error))


def _record_failed(ctx: CoreContext, messages: list[dict[str, Any]], error: dict[str, Any]) -> None:
    ctx.check_fence()
    ctx.record_statuses([(message, int(time.time())) for message in messages], "failed", errors=[error])


def _send_receipts(ctx: CoreContext, network: NetworkClient, shard: int) -> int:
    pending = outbound_queue.owed_receipts(ctx.db, ctx.shard_rows(shard), BATCH)
    for batch in receipt_batches.group(pending):
        ctx.check_fence()
        try:
            network.send_receipt(batch.wa_id, batch.status, batch.message_ids)
            stats_counters.inc("receipts_sent", {"status": batch.status}, len(batch.message_ids))
        except NetworkRejected as error:
            # Refused for good (the contact left WhatsApp): retrying cannot help.
            log.info("%s receipt to %s refused: %s", batch.status, batch.wa_id, error.code)
        outbound_queue.discard_receipts(ctx.db, batch.row_ids)
    return len(pending)


MAX_RESENDS = 2


def resend(ctx: CoreContext, wa_id: str, message_ids: list[str]) -> int:
    """Answer a retry receipt: the contact could not decrypt these messages.

    Its device lost our session (typically: it reinstalled WhatsApp), so the session is
    rebuilt from a freshly fetched prekey bundle and the same messages, with the same
    ids, are encrypted and sent again. A new identity key in that bundle is an identity
    change. Bounded per message, so a broken peer cannot make us loop.
    """
    account = account_store.load_registered(ctx.db, ctx.master_key)
    if account is None:
        return 0
    messages = outbound_queue.take_for_resend(ctx.db, wa_id, message_ids, MAX_RESENDS)
    if not messages:
        return 0
    protocol = protocol_client.build(ctx)
    old = protocol.reset_session(wa_id)
    network = ctx.network(account.network_token)
    fetch_bundle: FetchBundle = network.fetch_bundle
    if old is not None and ctx.settings().get("show_security_notifications"):
        fetch_bundle = _refusing_a_new_identity(ctx, network, wa_id, old)
    _send_or_fail(ctx, network, account, protocol, wa_id, messages, fetch_bundle)
    identity_changes.notice(ctx, wa_id, old, session_store.load(ctx.db, ctx.master_key, wa_id))
    return len(messages)


class IdentityChangeBlocked(Exception):
    """The contact's new identity key is not acknowledged: nothing is sealed for it."""


def _refusing_a_new_identity(ctx: CoreContext, network: NetworkClient, wa_id: str, old: Session) -> FetchBundle:
    """``network.fetch_bundle``, except that a bundle with another identity than the
    session it replaces is recorded as an identity change and refused, so that with
    `show_security_notifications` on nothing is encrypted to an unacknowledged key
    (spec §7.2): the messages fail with 480 instead."""

    def fetch(peer: str) -> Any:
        raw = network.fetch_bundle(peer)
        bundle = PrekeyBundle.from_dict(raw)
        bundle.verify()
        if bundle.identity != old.remote_identity:
            identity_changes.record(ctx, wa_id, session_store.identity_hash(bundle.identity))
            raise IdentityChangeBlocked(wa_id)
        return raw

    return fetch
