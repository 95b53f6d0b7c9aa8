"""A Celery app whose ``send_task`` is recorded instead of sent, or fails as it does
with Redis down: for tests of code that kicks workers (GC runs, their slices)."""

from __future__ import annotations

import redis


class RecordedKicks:
    def __init__(self, celery) -> None:
        self.celery, self.sent, self.down = celery, [], False

    def send_task(self, name, args=None, **options):
        if self.down:
            raise redis.ConnectionError("Redis is down")
        self.sent.append((name, args, options.get("queue")))

    def __getattr__(self, name):
        return getattr(self.celery, name)
