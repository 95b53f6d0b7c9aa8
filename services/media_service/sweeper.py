"""The media service's sweep: a thread that re-kicks inbound auto-downloads whose kick
was lost (Redis lost it, a worker died holding it) or whose fetch died mid-transfer
(its claim ran out). MongoDB holds every pending download, so none is lost; each
media worker process runs one, and a duplicate kick finds the download claimed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from services.media_service import inbound

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 5.0


class MediaSweeper(threading.Thread):
    def __init__(self, deps: Callable[[], inbound.Fetching], interval: float = SWEEP_INTERVAL) -> None:
        super().__init__(name="media-sweeper", daemon=True)
        self.deps = deps
        self.interval = interval
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                inbound.sweep(self.deps())
            except Exception:  # a failed sweep is retried at the next interval
                log.exception("media sweep failed")
