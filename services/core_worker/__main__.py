"""``python -m services.core_worker``: one core process, one node of the cluster.

It registers itself as a node and takes its share of the shards by lease
(services/core_worker/leases.py), consumes the control queue and the queues of the
shards it holds with a single consumer (solo pool: one task at a time keeps each shard
in order), and runs the network connection (when it holds the network lease) and the
recovery sweep beside it. Start as many as you like (``honcho start -c core=4``, or
containers): they spread the shards between them.
"""

from __future__ import annotations

import signal
import threading

from celery.signals import worker_shutdown

from services.common.celery_app import run_worker, worker_argv
from services.common.config import Config
from services.common.logging_setup import configure_logging
from services.common.queues import CONTROL_QUEUE
from services.core_worker.app import create_core
from services.core_worker.connection import NetworkConnection
from services.core_worker.leases import LeaseKeeper
from services.messages import gc as message_gc


def pinned_shards(chosen: tuple[int, ...] | None, total: int) -> list[int] | None:
    """``WA_CORE_SHARDS="0,1"`` (``config.core.pinned_shards``) pins this process to those
    shards (it takes no other); None when unset: the process shares the unpinned shards
    with the other nodes."""
    if chosen is None:
        return None
    if any(shard >= total for shard in chosen):
        raise SystemExit(f"WA_CORE_SHARDS {list(chosen)} outside 0..{total - 1}")
    return list(chosen)


def main() -> None:
    config = Config.from_env()
    configure_logging("core", config.log_level)
    core = create_core(config)
    context = core.context

    # Until Celery installs its own handlers, a SIGTERM (honcho stopping everything at
    # once) unwinds through the ``finally`` below instead of killing the process with
    # its leases held.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    keeper = LeaseKeeper(context.db, config.shards, pinned_shards(config.core.pinned_shards, context.shard_count()),
                         requested=config.core)
    context.leases = keeper
    keeper.start()  # the first heartbeat claims shards before the worker consumes
    connection = NetworkConnection(context, keeper.me)
    connection.start()
    core.periodic.start()  # the recovery sweep of the shards the keeper holds
    message_gc.resume_unfinished(context.db, core.celery)

    stopped = threading.Event()

    @worker_shutdown.connect(weak=False)
    def _stop_threads(**_: object) -> None:
        # A clean stop hands everything over at once, not after the leases run out.
        if stopped.is_set():
            return
        stopped.set()
        keeper.stop_taking()
        core.periodic.stop(timeout=0)  # a sweep in flight only kicks: no need to wait for it
        connection.stop()
        keeper.stop()

    try:
        # The shard queues are added by services/core_worker/shard_consumers.py as leases come.
        run_worker(core.celery, worker_argv(name="core", queues=[CONTROL_QUEUE], pool="solo",
                                            loglevel=config.log_level))
    finally:
        _stop_threads()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    main()
