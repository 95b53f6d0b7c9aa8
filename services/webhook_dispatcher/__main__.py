"""``python -m services.webhook_dispatcher``: the Celery worker for queue ``dispatcher``.

The sweep and the stats publishing run beside the worker as periodic jobs
(``app.create_dispatcher``). ``config.dispatcher`` sets the thread count
(``WA_DISPATCHER_CONCURRENCY``) and, when ``WA_DISPATCHER_METRICS_PORT`` is set, where
the Prometheus counters are served.
"""

from __future__ import annotations

from services.common.celery_app import run_worker, worker_argv
from services.common.config import Config
from services.common.logging_setup import configure_logging
from services.common.queues import DISPATCHER_QUEUE
from services.webhook_dispatcher.app import create_dispatcher


def _start_metrics(port: int | None) -> None:
    if port:
        from prometheus_client import start_http_server

        start_http_server(port, addr="127.0.0.1")


def main() -> None:
    config = Config.from_env()
    configure_logging("dispatcher", config.log_level)
    dispatcher = create_dispatcher(config)
    _start_metrics(config.dispatcher.metrics_port)
    dispatcher.periodic.start()
    try:
        run_worker(dispatcher.celery, worker_argv(
            name="dispatcher", queues=[DISPATCHER_QUEUE], pool="threads",
            concurrency=config.dispatcher.concurrency, loglevel=config.log_level,
        ))
    finally:
        dispatcher.periodic.stop()


if __name__ == "__main__":
    main()
