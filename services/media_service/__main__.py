"""``python -m services.media_service``: the media worker, with its sweeps beside it
(``app.create_media_worker``)."""

from __future__ import annotations

from services.common.celery_app import run_worker, worker_argv
from services.common.config import Config
from services.common.logging_setup import configure_logging
from services.common.queues import MEDIA_QUEUE
from services.media import gc
from services.media_service.app import create_media_worker


def main() -> None:
    config = Config.from_env()
    configure_logging("media", config.log_level)
    media = create_media_worker(config)
    media.deps.store.ensure_bucket()
    gc.resume_unfinished(media.deps.db, media.celery)
    media.periodic.start()
    try:
        run_worker(media.celery, worker_argv(name="media", queues=[MEDIA_QUEUE], pool="threads",
                                             concurrency=config.media.concurrency, loglevel=config.log_level))
    finally:
        media.periodic.stop()


if __name__ == "__main__":
    main()
