"""Media files and media messages' transfers.

- ``object_store``: the bytes, in S3; ``catalogue``: collection ``media``, what the store
  holds and whose it is; ``library``: the two kept in step; ``measured``: a body's size
  and sha256 on the way through.
- ``outbound_media``: an outbound media message's preparation state (on its message
  document); ``preparation_rules`` (pure); ``providers``: collection ``media_providers``
  (sealed credentials); ``network_media``: the client of the network's media store.
- ``inbound_media``: a received medium's download state (on its message document).
- ``gc``: the media garbage collection (its run record: services/callbacks/service_runs.py).
"""
