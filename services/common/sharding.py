"""On-Prem multiconnect shard routing (spec §16.2), reproduced exactly.

All messages to and from one contact map to one shard, which is what keeps them in
order: a shard is processed by exactly one consumer at a time.
"""

from __future__ import annotations

import math
import zlib

SERVER_SHARDS = 1024


def server_shard(wa_id: str, server_shards: int = SERVER_SHARDS) -> int:
    # PHP's crc32() is CRC-32/ISO-HDLC, which is zlib.crc32.
    return zlib.crc32(wa_id.encode("utf-8")) % server_shards


def shard_for(wa_id: str, shards: int, server_shards: int = SERVER_SHARDS) -> int:
    range_size = math.ceil(server_shards / shards)
    return server_shard(wa_id, server_shards) // range_size
