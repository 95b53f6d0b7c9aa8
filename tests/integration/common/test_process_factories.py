"""Each worker's factory: its Celery app with its tasks and routes, and its periodic jobs,
built from a Config and started by nobody but its ``__main__``."""

from __future__ import annotations

from services.common.queues import (
    CHECK_CONTACTS,
    CONTROL_QUEUE,
    DELIVER_CALLBACK,
    DELIVER_CALLBACKS,
    DISPATCHER_QUEUE,
    DRAIN_INBOUND,
    DRAIN_OUTBOUND,
    FETCH_INBOUND_MEDIA,
    MEDIA_GC,
    MEDIA_QUEUE,
    MESSAGE_GC,
    PREPARE_OUTBOUND_MEDIA,
    SWEEP_CALLBACKS,
    SWEEP_OUTBOUND_MEDIA,
    VERIFY_CODE,
)
from services.core_worker.app import create_core
from services.media_service.app import create_media_worker
from services.webhook_dispatcher.app import create_dispatcher


def _ours(app) -> set[str]:
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_create_core(config):
    core = create_core(config)
    assert {DRAIN_OUTBOUND, DRAIN_INBOUND, VERIFY_CODE, CHECK_CONTACTS} <= _ours(core.celery)
    assert core.celery.conf.task_routes[VERIFY_CODE] == {"queue": CONTROL_QUEUE}
    assert core.context.celery is core.celery and core.context.leases is None
    assert core.periodic.names() == ["recovery-sweep", "message-gc", "profile-publish", "resume-gc-runs"]
    assert not core.periodic.is_alive()
    assert core.celery.conf.task_routes[MESSAGE_GC] == {"queue": CONTROL_QUEUE} and MESSAGE_GC in _ours(core.celery)


def test_create_media_worker(config):
    media = create_media_worker(config)
    assert {FETCH_INBOUND_MEDIA, MEDIA_GC, PREPARE_OUTBOUND_MEDIA, SWEEP_OUTBOUND_MEDIA, "media.check_store"} == _ours(
        media.celery)
    assert media.celery.conf.task_routes == {"media.*": {"queue": MEDIA_QUEUE}}
    assert media.periodic.names() == ["media-inbound-sweep", "media-outbound-sweep"]
    assert not media.periodic.is_alive()
    assert media.deps.preparer.celery is media.celery and media.deps.fetching.celery is media.celery


def test_create_dispatcher(config):
    dispatcher = create_dispatcher(config)
    assert _ours(dispatcher.celery) == {DELIVER_CALLBACK, DELIVER_CALLBACKS, SWEEP_CALLBACKS}
    assert dispatcher.celery.conf.task_routes == {"dispatcher.*": {"queue": DISPATCHER_QUEUE}}
    assert dispatcher.periodic.names() == ["dispatcher-sweep", "stats-dispatcher"]
    assert [job.interval for job in dispatcher.periodic.jobs][0] == config.dispatcher.sweep_seconds


def test_two_workers_of_one_kind_do_not_share_their_apps(config):
    first, second = create_dispatcher(config), create_dispatcher(config)
    assert first.celery is not second.celery
    assert first.celery.tasks[DELIVER_CALLBACK] is not second.celery.tasks[DELIVER_CALLBACK]
