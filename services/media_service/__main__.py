"""``python -m services.media_service``: the media worker."""

from __future__ import annotations

import os

from services.common.celery_app import ThreadedBeat, run_worker, worker_argv
from services.common.logging_setup import configure_logging
from services.common.queues import MEDIA_QUEUE


def main() -> None:
    configure_logging("media")
    from services.media import gc
    from services.media_service.app import celery, database, fetching, media_gc, object_store
    from services.media_service.sweeper import MediaSweeper

    object_store().ensure_bucket()
    celery.steps["worker"].add(ThreadedBeat)  # the sweeps (app.beat_schedule)
    unfinished = gc.unfinished(database())
    if unfinished is not None:  # its worker died in it, or its kick was lost
        media_gc.apply_async(args=[unfinished], queue=MEDIA_QUEUE)
    MediaSweeper(fetching).start()  # pending inbound downloads whose kick was lost
    concurrency = int(os.environ.get("WA_MEDIA_CONCURRENCY", "4"))
    run_worker(celery, worker_argv(name="media", queues=[MEDIA_QUEUE], pool="threads", concurrency=concurrency))


if __name__ == "__main__":
    main()
