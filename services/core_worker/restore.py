"""Restore from a backup (spec §10.1; the control RPC of ``POST /v1/settings/restore``).

Onto an unregistered installation only. The number comes back without a new
registration (the backup's network token), but with a new identity key and prekeys,
published before anything is written: since v2.31.4 the original rotates the identity
on restore, so a copy of the backup never speaks as the live number's keys, and
contacts see a security-code change. Answers as services/core_worker/registration.py.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from services.account import store as account_store
from services.backup import blob_rules, sections
from services.common.clock import utcnow
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkError, NetworkRejected
from services.core_worker.registration import error_answer, prime_template_cache, publish_new_identity
from services.sessions import session_store
from services.settings.setting_kinds import PatchContext

log = logging.getLogger(__name__)

WRONG_PASSWORD = "Parameter 'password' has invalid value: the password is wrong or the backup 'data' was altered"
ALREADY_REGISTERED = ("The client is already registered: a backup is restored onto a fresh, "
                      "unregistered installation")
UNDER_WAY = "Another restore is under way"
CLAIM_SECONDS = 120.0
"""Longer than a restore takes (the KDF, one key upload with its 15 s timeout, a few writes)."""


def restore(ctx: CoreContext, *, password: str, data: str) -> dict[str, Any]:
    try:
        sealed = blob_rules.read_sealed(data)
    except blob_rules.BadBlob as error:
        return _unreadable(error)
    # Claimed before the KDF runs: a registered installation, or one already restoring,
    # spends nothing on a blob it would refuse anyway.
    owner = uuid.uuid4().hex
    if not account_store.claim_restore(ctx.db, owner, CLAIM_SECONDS):
        return error_answer(1004, ALREADY_REGISTERED if account_store.is_registered(ctx.db) else UNDER_WAY)
    try:
        try:
            restorable = sections.read(blob_rules.open_sealed(password, sealed), _checks(ctx))
        except blob_rules.WrongPassword:
            return error_answer(1009, WRONG_PASSWORD)
        except (blob_rules.BadBlob, sections.UnreadablePayload) as error:
            return _unreadable(error)
        return _restore_claimed(ctx, restorable)
    finally:
        account_store.release_restore(ctx.db, owner)


def _unreadable(error: Exception) -> dict[str, Any]:
    return error_answer(1009, f"Parameter 'data' has invalid value: {error}")


def _checks(ctx: CoreContext) -> sections.Checks:
    """What the live endpoints check a value against, here."""
    return sections.Checks(PatchContext(allow_http_webhooks=ctx.config.allow_http_webhooks,
                                        egress_allow=ctx.config.egress_allow), utcnow())


def _restore_claimed(ctx: CoreContext, restorable: sections.Restorable) -> dict[str, Any]:
    registration = restorable.registration
    try:
        publish_new_identity(ctx, registration.network_token)
    except NetworkRejected as error:
        return error_answer(1005, f"The network refused the restored registration: {error.code}")
    except NetworkError as error:
        return error_answer(1014, f"The network is unreachable: {error}")
    installation = sections.Installation(ctx.db, ctx.master_key, ctx.config.shards, utcnow())
    sections.restore_sections(installation, restorable)
    # Sessions were made with the old identity: none can continue under the new one.
    session_store.delete_all(ctx.db)
    account_store.record_restored(ctx.db, ctx.master_key, registration)
    log.info("restored %s from a backup, with a new identity", registration.wa_id)
    prime_template_cache(ctx)
    return {"http_status": 200, "payload": {}}

