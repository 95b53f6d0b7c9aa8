"""Periodic work inside a process: named jobs called at fixed intervals.

Every process runs its sweeps (work whose kick was lost) and its stats publishing
through one :class:`Periodic`, not through Celery beat: a job is a plain function called
in the process itself, so a sweep that only needs MongoDB keeps running while Redis is
down, and nothing outlives a killed process.

Each job has a daemon thread of its own, so a job stuck on an unreachable server (until
its client's timeouts) never delays another. The interval is counted from the end of
one call to the start of the next: a slow call is never followed by a burst. A call
that raises is logged and the job goes on at its next interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: float
    call: Callable[[], object]
    at_start: bool = False  # first call as the job starts, instead of one interval in

    def __post_init__(self) -> None:
        if not self.interval > 0:
            raise ValueError(f"periodic job {self.name}: interval must be positive, got {self.interval}")


def run_guarded(job: Job) -> bool:
    """One call of ``job``; False (logged, not raised) when it failed."""
    try:
        job.call()
    except Exception:  # the job runs again at its next interval
        log.exception("periodic job %s failed", job.name)
        return False
    return True


class Periodic:
    """The periodic jobs of one process. Add jobs, then :meth:`start`; :meth:`stop` ends them."""

    def __init__(self, jobs: list[Job] | None = None) -> None:
        self.jobs: list[Job] = []
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        for job in jobs or []:
            self.add(job)

    def add(self, job: Job) -> None:
        if self._threads:
            raise RuntimeError(f"periodic job {job.name} added after start")
        if any(known.name == job.name for known in self.jobs):
            raise ValueError(f"periodic job {job.name} added twice")
        self.jobs.append(job)

    def names(self) -> list[str]:
        return [job.name for job in self.jobs]

    def start(self) -> None:
        for job in self.jobs:
            thread = threading.Thread(target=self._loop, args=(job,), name=f"periodic-{job.name}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _loop(self, job: Job) -> None:
        delay = 0.0 if job.at_start else job.interval
        while not self.stopping.wait(delay):
            run_guarded(job)
            delay = job.interval

    def stop(self, timeout: float = 2.0) -> None:
        """No call starts after this; waits up to ``timeout`` in all for the calls
        running now (the threads are daemons: one stuck past it dies with the process)."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def is_alive(self) -> bool:
        """Whether every job's thread runs (False before start and after stop)."""
        return bool(self._threads) and all(thread.is_alive() for thread in self._threads)
