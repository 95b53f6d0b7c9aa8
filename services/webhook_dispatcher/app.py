"""The dispatcher process, built from a ``Config`` by :func:`create_dispatcher`: its
Celery app with the delivery tasks, and its periodic jobs (the sweep of callbacks whose
kick was lost, the stats publishing). Nothing here reads the environment or connects
anywhere until the factory is called.
"""

from __future__ import annotations

from dataclasses import dataclass

from celery import Celery
from pymongo.database import Database

from services.common.celery_app import make_celery
from services.common.config import Config
from services.common.mongo import get_db
from services.common.periodic import Job, Periodic
from services.common.queues import DISPATCHER_QUEUE
from services.stats import publisher as stats_publisher
from services.webhook_dispatcher import delivery, metrics, tasks


@dataclass
class Dispatcher:
    config: Config
    celery: Celery
    db: Database
    periodic: Periodic  # not started: ``__main__`` starts it beside the worker


def create_dispatcher(config: Config) -> Dispatcher:
    app = make_celery(config, "dispatcher")
    app.conf.update(
        task_routes={"dispatcher.*": {"queue": DISPATCHER_QUEUE}},
        task_ignore_result=True,
    )
    db = get_db(config)
    delivery.configure(config.egress_allow, config.tls_ca_bundle)
    tasks.register_tasks(app, config, db)
    kick = tasks.kicker(app)
    periodic = Periodic([
        Job("dispatcher-sweep", config.dispatcher.sweep_seconds,
            lambda: tasks.sweep_once(db, config.dispatcher.sweep_grace_seconds, schedule=kick)),
        # callback_requests of /v1/stats/app (services/webhook_dispatcher/metrics.py)
        stats_publisher.job(db, metrics.SERVICE),
    ])
    return Dispatcher(config, app, db, periodic)
