"""Webhook callbacks: what is called back and how it is kept until delivered.

- ``payloads``: the bodies of spec §15, built from stored documents (pure).
- ``outbox``: the durable outbox, collection ``pending_callbacks``: a callback is stored
  here before its first attempt and removed only after an HTTP 200; every service hands
  callbacks over through ``enqueue_callback(s)``, and the dispatcher delivers them.
- ``inbound_callback``: the callback of a stored inbound message.
- ``service_runs``: collection ``service_runs``, the runs of the GCs (media, messages)
  and their completion callbacks (spec §12).
"""
