"""Who runs what: the core nodes, their fenced leases on shards and on the network
connection, and how contacts are routed to shards.

- ``sharding``: On-Prem multiconnect routing (pure); ``shard_shape``: the shard count
  (collection ``cluster``); ``nodes``: collections ``core_nodes`` and ``leases`` as
  readers see them; ``lease_rules`` (pure) and ``local_deaths``: the rules the core's
  lease keeper (services/core_worker/leases.py) follows.
"""
