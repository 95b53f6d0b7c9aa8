"""The Celery app factory shared by producers (gateway) and workers.

Redis is only a doorbell (services/common/kicks.py): the options here make every
consumer ride out a Redis restart, flush or failover by reconnecting for ever, and
bound every broker call (services/common/redis_client.py) so that a hung Redis cannot
hang a producer.
"""

from __future__ import annotations

import os
import sys
import warnings

from celery import Celery
from celery.exceptions import CPendingDeprecationWarning

from services.common.config import Config
from services.common.redis_client import (
    CONNECT_TIMEOUT,
    HEALTH_CHECK_INTERVAL,
    SOCKET_OPTIONS,
    SOCKET_TIMEOUT,
    tls_options,
)

# A publish that fails is retried briefly, then reported (kicks.send logs it and the
# sweeps cover the work), so a producer waits at most about a second plus timeouts.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.25, "interval_max": 0.5}

TRANSPORT = "services.common.broker_transport:Transport"
AMQP = "services.common.broker_transport:AMQP"


def make_celery(config: Config, name: str) -> Celery:
    app = Celery(name, broker=config.redis_url, backend=config.redis_url, amqp=AMQP)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        result_expires=3600,
        # A kick is cheap to repeat and MongoDB holds the work, so a task is
        # acknowledged only after it ran: a killed worker leaves it for the next one.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Consumers reconnect for ever, at start-up and after a loss (the default gives
        # up after 100 attempts, about ten minutes of backoff, and the worker exits).
        broker_transport=TRANSPORT,
        broker_connection_retry=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_connection_timeout=CONNECT_TIMEOUT,
        # visibility_timeout: a delivered kick that was never acknowledged (its worker
        # died, its connection broke) comes back after an hour; the sweeps do not wait
        # for it. It must exceed the longest countdown (the callback backoff cap).
        broker_transport_options={"visibility_timeout": 3600, **SOCKET_OPTIONS},
        task_publish_retry_policy=PUBLISH_RETRY_POLICY,
        # The result backend (the gateway's RPCs to the core) is the same Redis.
        redis_socket_timeout=SOCKET_TIMEOUT,
        redis_socket_connect_timeout=CONNECT_TIMEOUT,
        redis_socket_keepalive=True,
        redis_retry_on_timeout=True,
        redis_backend_health_check_interval=HEALTH_CHECK_INTERVAL,
        # A task running when the connection is lost finishes its MongoDB work; its
        # acknowledgement is lost with the connection and the kick comes back (or the
        # sweep re-kicks), which is harmless. Cancelling would gain nothing, and the
        # solo and thread pools cannot cancel a running task anyway.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
    )
    tls = tls_options(config.redis_url)
    if tls is not None:
        app.conf.update(broker_use_ssl=tls, redis_backend_use_ssl=tls)
    return app


def worker_argv(*, name: str, queues: list[str], pool: str, concurrency: int = 1, loglevel: str = "INFO") -> list[str]:
    """The `celery worker` arguments every service's ``__main__`` uses."""
    return [
        "worker",
        f"--queues={','.join(queues)}",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        f"--hostname={name}-{os.getpid()}@%h",
        # Our workers share no worker state (revokes, clocks): skip the start-up chatter.
        "--without-mingle",
        "--without-gossip",
    ]


def run_worker(app: Celery, argv: list[str]) -> None:
    """Run ``celery worker`` for ``app`` and exit with the worker's exit code.

    ``Celery.worker_main`` (and ``Celery.start``) drop the code that click returns, so a
    worker stopped by an unrecoverable error used to exit 0 and no supervisor (honcho,
    systemd, Docker) restarted it. This is ``Celery.start`` keeping the code.
    """
    from celery.bin.celery import celery as command
    from celery.signals import worker_ready

    @worker_ready.connect(weak=False)
    def _quiet_connection_loss_warning(**_: object) -> None:
        # Celery warns at every connection loss that it does not cancel running late-ack
        # tasks: our deliberate choice (worker_cancel_long_running_tasks_on_connection_loss).
        # Filtered once the worker is up, as its logging set-up resets the warning filters.
        warnings.filterwarnings("ignore", message=r"\s*In Celery 5.1 we introduced",
                                category=CPendingDeprecationWarning)

    command.params[0].default = app  # the --app option, as Celery.start sets it
    try:
        code = command.main(args=argv, standalone_mode=False)
    finally:
        command.params[0].default = None
    sys.exit(code if isinstance(code, int) else 0)
