"""``python -m services.webhook_dispatcher``: the Celery worker for queue ``dispatcher``.

The sweep's beat runs inside the worker, as a thread (``celery_app.ThreadedBeat``).

``WA_DISPATCHER_CONCURRENCY`` sets the thread count (default 6, the default of
``webhooks.max_concurrent_requests``); ``WA_DISPATCHER_METRICS_PORT``, when set, serves
the Prometheus counters.
"""

from __future__ import annotations

import os

from services.common.celery_app import ThreadedBeat, run_worker, worker_argv
from services.common.logging_setup import configure_logging
from services.common.mongo import get_db
from services.common.queues import DISPATCHER_QUEUE

DEFAULT_CONCURRENCY = 6


def _start_metrics(port: str | None) -> None:
    if port:
        from prometheus_client import start_http_server

        start_http_server(int(port), addr="127.0.0.1")


def main() -> None:
    configure_logging("dispatcher")
    # Imported after logging is configured: building the app reads the environment.
    from services.webhook_dispatcher import metrics
    from services.webhook_dispatcher.app import celery_app, config

    celery_app.steps["worker"].add(ThreadedBeat)
    _start_metrics(os.environ.get("WA_DISPATCHER_METRICS_PORT"))
    metrics.start_publishing(get_db(config))  # callback_requests of /v1/stats/app
    concurrency = int(os.environ.get("WA_DISPATCHER_CONCURRENCY", DEFAULT_CONCURRENCY))
    run_worker(celery_app, worker_argv(name="dispatcher", queues=[DISPATCHER_QUEUE], pool="threads",
                                       concurrency=concurrency))


if __name__ == "__main__":
    main()
