"""Queue and task names shared by producers and consumers.

Producers send tasks by name (``send_task``) so the gateway never imports worker code.
"""

from __future__ import annotations

CONTROL_QUEUE = "core.control"
DISPATCHER_QUEUE = "dispatcher"
MEDIA_QUEUE = "media"

DRAIN_OUTBOUND = "core.drain_outbound"
DRAIN_INBOUND = "core.drain_inbound"
REQUEST_CODE = "core.request_code"
VERIFY_CODE = "core.verify_code"
SYNC_TEMPLATES = "core.sync_templates"
CHECK_CONTACTS = "core.check_contacts"  # RPC: the gateway waits for the results
CHECK_CONTACTS_LATER = "core.check_contacts_later"  # a stored non-blocking check, by id
DELIVER_CALLBACK = "dispatcher.deliver"  # one callback: a scheduled retry, a sweep's re-kick
DELIVER_CALLBACKS = "dispatcher.deliver_many"  # the callbacks an event just queued, a few per kick
SWEEP_CALLBACKS = "dispatcher.sweep"
FETCH_INBOUND_MEDIA = "media.fetch_inbound"  # an inbound medium, by media id: a kick, or the RPC of a GET
MEDIA_GC = "media.gc"  # one slice of a media garbage collection run (services/media/gc.py)
PREPARE_OUTBOUND_MEDIA = "media.prepare_outbound"  # one accepted media message, by id
SWEEP_OUTBOUND_MEDIA = "media.sweep_outbound"  # re-kicks preparations whose kick was lost
ENABLE_TWO_STEP = "core.enable_two_step"  # RPC: the network holds the PIN's verifier, then the account
DISABLE_TWO_STEP = "core.disable_two_step"  # RPC
MESSAGE_GC = "core.message_gc"  # one slice of a run of the message garbage collection (services/messages/gc.py)
RESTORE_BACKUP = "core.restore_backup"  # RPC of POST /v1/settings/restore (services/core_worker/restore.py)
PUBLISH_PROFILE = "core.publish_profile"  # the business's profile changed: publish it to the network


def shard_queue(shard: int) -> str:
    return f"core.shard.{shard}"
