"""``python -m services.core_worker``: one core process.

It consumes the control queue and its shards' queues with a single consumer (solo
pool: one task at a time keeps each shard in order), and runs the network
connection and the recovery sweep beside it.
"""

from __future__ import annotations

import os
import socket

from celery.signals import worker_shutdown

from services.common.celery_app import run_worker, worker_argv
from services.common.logging_setup import configure_logging
from services.common.queues import CONTROL_QUEUE, shard_queue


def owned_shards(total: int) -> list[int]:
    # WA_CORE_SHARDS="0,1" lets several core processes split the shards between them.
    chosen = os.environ.get("WA_CORE_SHARDS")
    if not chosen:
        return list(range(total))
    shards = sorted({int(part) for part in chosen.split(",") if part.strip()})
    if any(shard >= total for shard in shards):
        raise SystemExit(f"WA_CORE_SHARDS {shards} outside 0..{total - 1}")
    return shards


def main() -> None:
    configure_logging("core")
    from services.core_worker.app import celery, context
    from services.core_worker.connection import NetworkConnection
    from services.core_worker.recovery import RecoverySweeper, kick_all

    shards = owned_shards(context.config.shards)
    owner = f"{socket.gethostname()}:{os.getpid()}"
    connection = NetworkConnection(context, owner)
    connection.start()
    sweeper = RecoverySweeper(context, shards)
    sweeper.start()

    @worker_shutdown.connect(weak=False)
    def _stop_threads(**_: object) -> None:
        sweeper.stop()
        connection.stop()

    kick_all(context, shards)
    queues = [CONTROL_QUEUE, *(shard_queue(shard) for shard in shards)]
    run_worker(celery, worker_argv(name="core", queues=queues, pool="solo"))


if __name__ == "__main__":
    main()
