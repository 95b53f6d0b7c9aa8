"""On-Prem multiconnect shard routing (spec §16.2), reproduced exactly.

All messages to and from one contact map to one shard, which is what keeps them in
order: a shard is processed by exactly one consumer at a time.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

SERVER_SHARDS = 1024


def server_shard(wa_id: str, server_shards: int = SERVER_SHARDS) -> int:
    # PHP's crc32() is CRC-32/ISO-HDLC, which is zlib.crc32.
    return zlib.crc32(wa_id.encode("utf-8")) % server_shards


def shard_for(wa_id: str, shards: int, server_shards: int = SERVER_SHARDS) -> int:
    return shard_of(server_shard(wa_id, server_shards), shards, server_shards)


def range_size(shards: int, server_shards: int = SERVER_SHARDS) -> int:
    return math.ceil(server_shards / shards)


def server_range(shard: int, shards: int, server_shards: int = SERVER_SHARDS) -> tuple[int, int]:
    """The server shards ``[low, high)`` that ``shard`` of ``shards`` owns.

    Rows are stored with their ``server_shard``, never with a shard number, so a shard
    is only this range: changing the shard count moves no row."""
    size = range_size(shards, server_shards)
    return min(shard * size, server_shards), min((shard + 1) * size, server_shards)


def shard_of(server_shard_id: int, shards: int, server_shards: int = SERVER_SHARDS) -> int:
    """The shard of ``shards`` that owns ``server_shard_id``."""
    return server_shard_id // range_size(shards, server_shards)


def row_filter(shard: int, shards: int) -> dict[str, Any]:
    """The MongoDB filter of the rows (messages, events, receipts) ``shard`` serves."""
    low, high = server_range(shard, shards)
    return {"server_shard": {"$gte": low, "$lt": high}}
