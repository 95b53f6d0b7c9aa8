"""Applying the send-time rules (``send_policy``) to a batch about to be sent: the I/O
edge. One query for the batch's contacts and, when it holds template messages, one for
their templates' current status; what a rule refuses gets its ``failed`` status."""

from __future__ import annotations

import logging
from typing import Any

from services import message_types
from services.common.clock import utcnow
from services.contacts import directory
from services.core_worker import send_policy
from services.core_worker.context import CoreContext
from services.templates import store as template_store

log = logging.getLogger(__name__)


def load_contacts(ctx: CoreContext, batch: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The contact documents of ``batch``'s recipients (one query): what the rules need,
    and the conversation the `sent` statuses report."""
    return directory.for_sending(ctx.db, {message["wa_id"] for message in batch})


def fail_unsendable(ctx: CoreContext, batch: list[dict[str, Any]],
                    contacts: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Record ``failed`` for the messages of ``batch`` that must not go out; returns the
    others, still in order. ``contacts``: :func:`load_contacts` of the batch, if loaded."""
    if contacts is None:
        contacts = load_contacts(ctx, batch)
    template_statuses = _current_template_statuses(ctx, batch)
    block_identity_changes = bool(ctx.settings().get("show_security_notifications"))
    now = utcnow()
    sendable: list[dict[str, Any]] = []
    refused: dict[tuple[Any, ...], tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for message in batch:
        declared = message_types.get(message["type"])
        template = send_policy.accepted_template(message)
        error = send_policy.refusal(
            message, send_policy.Recipient.from_doc(contacts.get(message["wa_id"])),
            free_form=declared is None or declared.free_form, now=now, block_identity_changes=block_identity_changes,
            template_status=template_statuses.get(_key(template)) if template else None,
        )
        if error is None:
            sendable.append(message)
        else:
            refused.setdefault(tuple(sorted(error.items())), (error, []))[1].append(message)
    timestamp = int(now.timestamp())
    for error, messages in refused.values():
        log.info("%d message(s) refused before sending: error %d", len(messages), error["code"])
        ctx.record_statuses([(message, timestamp) for message in messages], "failed", errors=[error])
    return sendable


def _key(template: dict[str, Any]) -> str:
    return template_store.template_key(template["namespace"], template["name"], template["language"])


def _current_template_statuses(ctx: CoreContext, batch: list[dict[str, Any]]) -> dict[str, str]:
    keys = list({_key(t) for message in batch if (t := send_policy.accepted_template(message))})
    if not keys:
        return {}
    return template_store.current_statuses(ctx.db, keys)
