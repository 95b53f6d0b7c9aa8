"""Messages: their store, their sequences and how their statuses change.

- ``message_store``: collections ``messages``, ``counters``, ``outbound_receipts``: the
  shared sequences, accepted outbound messages, receipts the business owes.
- ``statuses``: an outbound message's status moves (``accepted → sent → delivered →
  read``, or ``failed``) and the status callback each move queues.
- ``conversations``: conversation windows for the ``conversation``/``pricing`` objects.
"""
