"""``python -m services.media_service``: the media worker."""

from __future__ import annotations

import os

from services.common.logging_setup import configure_logging
from services.common.queues import MEDIA_QUEUE


def main() -> None:
    configure_logging("media")
    from services.media_service.app import celery, object_store

    object_store().ensure_bucket()
    celery.worker_main(
        ["worker", "--pool", "threads", "--concurrency", os.environ.get("WA_MEDIA_CONCURRENCY", "4"),
         "--queues", MEDIA_QUEUE, "--hostname", f"media-{os.getpid()}@%h",
         "--loglevel", os.environ.get("WA_LOG_LEVEL", "INFO"), "--without-gossip", "--without-mingle"]
    )


if __name__ == "__main__":
    main()
