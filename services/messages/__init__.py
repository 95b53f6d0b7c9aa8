"""Messages: their store, their sequences and how their statuses change.

- ``message_store``: collections ``messages``, ``counters``, ``outbound_receipts``: the
  shared sequences, accepted outbound messages, receipts the business owes.
- ``statuses``: an outbound message's status moves (``accepted → sent → delivered →
  read``, or ``failed``) and the status callback each move queues.
- ``outbound_queue``: what a shard's outbound drain reads (accepted messages in order,
  receipts owed) and a resend's claim.
- ``inbound_journal``: collection ``inbound_events``, network items stored before they
  are acknowledged, and ``dead_events``; ``inbound_messages``: received messages.
- ``conversations``: conversation windows for the ``conversation``/``pricing`` objects.
- ``gc`` and ``gc_rules``: the message garbage collection (spec §12, §14), which
  messages are finished and old, deleted in slices (index ``messages_by_age``).
"""
