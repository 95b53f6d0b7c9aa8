"""One log format for every process."""

from __future__ import annotations

import logging
import os

# Celery logs two lines per task at INFO; at thousands of kicks a second that is noise
# that costs throughput. WA_LOG_LEVEL=DEBUG brings them back.
_PER_TASK_LOGGERS = ("celery.app.trace", "celery.worker.strategy", "celery.beat")


def configure_logging(service: str) -> None:
    level = os.environ.get("WA_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level,
        format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s",
    )
    if level != "DEBUG":
        for name in _PER_TASK_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
