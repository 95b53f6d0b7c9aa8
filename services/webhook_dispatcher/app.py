"""The dispatcher's Celery app: routing and the sweep schedule.

Two dispatcher-only knobs, read from the environment next to ``Config``:
``WA_DISPATCHER_SWEEP_SECONDS`` (how often the sweep runs, default 5) and
``WA_DISPATCHER_SWEEP_GRACE_SECONDS`` (how overdue a callback must be before the sweep
assumes its kick was lost, default 5).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from celery import Celery

from services.common.celery_app import make_celery
from services.common.config import Config
from services.common.queues import DISPATCHER_QUEUE, SWEEP_CALLBACKS


@dataclass(frozen=True)
class SweepTiming:
    interval_seconds: float = 5.0
    grace_seconds: float = 5.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SweepTiming:
        env = dict(os.environ if env is None else env)
        defaults = cls()
        return cls(
            interval_seconds=float(env.get("WA_DISPATCHER_SWEEP_SECONDS", defaults.interval_seconds)),
            grace_seconds=float(env.get("WA_DISPATCHER_SWEEP_GRACE_SECONDS", defaults.grace_seconds)),
        )


def build_app(config: Config, timing: SweepTiming) -> Celery:
    app = make_celery(config, "dispatcher")
    app.conf.update(
        imports=("services.webhook_dispatcher.tasks",),
        task_routes={"dispatcher.*": {"queue": DISPATCHER_QUEUE}},
        task_ignore_result=True,
        beat_schedule={
            "sweep-pending-callbacks": {
                "task": SWEEP_CALLBACKS,
                "schedule": timing.interval_seconds,
                # A sweep that waited longer than two periods is superseded by the next one.
                "options": {"queue": DISPATCHER_QUEUE, "expires": timing.interval_seconds * 2},
            }
        },
    )
    return app


config = Config.from_env()
timing = SweepTiming.from_env()
celery_app = build_app(config, timing)
