"""The Celery app factory shared by producers (gateway) and workers."""

from __future__ import annotations

import os

from celery import Celery

from services.common.config import Config


def make_celery(config: Config, name: str) -> Celery:
    app = Celery(name, broker=config.redis_url, backend=config.redis_url)
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
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        worker_hijack_root_logger=False,
    )
    return app


def worker_argv(*, name: str, queues: list[str], pool: str, concurrency: int = 1) -> list[str]:
    """The `celery worker` arguments every service's ``__main__`` uses."""
    return [
        "worker",
        f"--queues={','.join(queues)}",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        f"--loglevel={os.environ.get('WA_LOG_LEVEL', 'INFO')}",
        f"--hostname={name}-{os.getpid()}@%h",
        # Our workers share no worker state (revokes, clocks): skip the start-up chatter.
        "--without-mingle",
        "--without-gossip",
    ]
