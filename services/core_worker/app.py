"""The core process, built from a ``Config`` by :func:`create_core`: its Celery app with
the tasks and the shard-consumer step, the context every task works through, and its
periodic job (the recovery sweep). Nothing here reads the environment or connects
anywhere until the factory is called; ``__main__`` adds the lease keeper and the
network connection, which need the database at start.
"""

from __future__ import annotations

from dataclasses import dataclass

from celery import Celery

from services.callbacks import service_runs
from services.common.celery_app import make_celery
from services.common.config import Config
from services.common.periodic import Job, Periodic
from services.common.queues import (
    CHECK_CONTACTS,
    CHECK_CONTACTS_LATER,
    CONTROL_QUEUE,
    MESSAGE_GC,
    PUBLISH_PROFILE,
    REQUEST_CODE,
    RESTORE_BACKUP,
    SYNC_TEMPLATES,
    VERIFY_CODE,
)
from services.core_worker import profile_publisher, recovery, shard_consumers, tasks
from services.core_worker.context import CoreContext
from services.media import gc as media_gc
from services.messages import gc as message_gc


@dataclass
class Core:
    config: Config
    celery: Celery
    context: CoreContext
    periodic: Periodic  # not started: ``__main__`` starts it once the leases are held


def create_core(config: Config) -> Core:
    app = make_celery(config, "core")
    # A core kick is acknowledged as it is taken, not after its drain. With the solo pool
    # a late acknowledgement that fails because Redis went away during the drain ("Couldn't
    # ack") could leave the consumer never noticing the lost connection, consuming nothing
    # after Redis was back (seen in `make chaos`, Redis restarted empty). Nothing relies on
    # a late ack here: MongoDB holds the work, a node that takes a shard over kicks it at
    # once, and the recovery sweep re-kicks stale work (an unacknowledged kick would only
    # come back after the hour-long visibility timeout anyway).
    app.conf.task_acks_late = False
    app.conf.task_routes = {
        name: {"queue": CONTROL_QUEUE}
        for name in (REQUEST_CODE, VERIFY_CODE, SYNC_TEMPLATES, CHECK_CONTACTS, CHECK_CONTACTS_LATER, MESSAGE_GC,
                     RESTORE_BACKUP, PUBLISH_PROFILE)
    }
    context = CoreContext(config, app)
    shard_consumers.install(app, context)
    tasks.register_tasks(app, context)
    periodic = Periodic([Job("recovery-sweep", recovery.SWEEP_INTERVAL, lambda: recovery.sweep(context))])
    periodic.add(Job("message-gc", message_gc.AUTOMATIC_INTERVAL, lambda: message_gc.automatic(context.db)))
    periodic.add(Job("profile-publish", profile_publisher.PUBLISH_INTERVAL,
                     lambda: profile_publisher.publish_if_due(context)))
    # GC runs whose next slice's kick was lost (or whose worker died) go on within a bound.
    periodic.add(Job("resume-gc-runs", service_runs.RESUME_INTERVAL,
                     lambda: service_runs.resume_abandoned(context.db, app, (message_gc.RUN, media_gc.RUN))))
    return Core(config, app, context, periodic)
