"""services/callbacks/service_runs.py against the real MongoDB: a run whose kick is lost
is neither left ``processing`` for nothing nor stalled, and a run replaced while it
worked never reports its deletions as 0."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.callbacks import service_runs
from services.callbacks.service_runs import RunKind, Slice
from services.common import redis_client
from services.common.celery_app import make_celery
from services.common.clock import utcnow
from tests.common.recorded_kicks import RecordedKicks

KIND = RunKind(key="test_gc", service="test", counted="items_deleted", task="test.gc", queue="test")
OTHER = RunKind(key="other_gc", service="other", counted="items_deleted", task="other.gc", queue="other")


@pytest.fixture
def celery(config, db):
    broker = redis_client.connect(config.redis_url)
    yield RecordedKicks(make_celery(config, "service-runs-test"))
    broker.flushdb()  # the callbacks' kicks queued here are for no one


def record(db, kind: RunKind = KIND) -> dict:
    return db.service_runs.find_one({"_id": kind.key})


def age(db, kind: RunKind = KIND, by: timedelta = service_runs.ABANDONED_AFTER) -> None:
    db.service_runs.update_one({"_id": kind.key}, {"$set": {"started_at": utcnow() - by}})


def callbacks(db) -> list[dict]:
    return [doc["payload"]["services"][0]["test"]["gc"]
            for doc in db.pending_callbacks.find({"_id": {"$regex": "^test-gc:"}})]


def test_a_first_request_whose_kick_fails_leaves_no_record(db, celery):
    celery.down = True
    with pytest.raises(service_runs.NotStarted):
        service_runs.request(db, celery, KIND)
    assert record(db) is None

    celery.down = False  # the next request starts at once, not two minutes later
    run_id = service_runs.request(db, celery, KIND)
    assert celery.sent == [(KIND.task, [run_id], KIND.queue)]
    assert record(db)["status"] == "processing"


def test_a_request_whose_kick_fails_puts_the_last_run_back(db, celery):
    run_id = service_runs.request(db, celery, KIND)
    service_runs.step(db, celery, KIND, run_id, lambda _progress: Slice(3))
    finished = record(db)
    assert finished["status"] == "complete"

    celery.down = True
    with pytest.raises(service_runs.NotStarted):
        service_runs.request(db, celery, KIND)
    assert record(db) == finished


def test_a_run_whose_next_slice_kick_failed_is_resumed_by_the_periodic_job_once(db, celery):
    run_id = service_runs.request(db, celery, KIND)
    celery.down = True
    service_runs.step(db, celery, KIND, run_id, lambda _progress: Slice(2, finished=False, progress={"at": 1}))
    celery.down = False
    celery.sent.clear()
    assert service_runs.resume_abandoned(db, celery, (KIND, OTHER)) == 0  # alive: it just worked
    assert celery.sent == []

    age(db)
    assert service_runs.resume_abandoned(db, celery, (KIND, OTHER)) == 1
    assert celery.sent == [(KIND.task, [run_id], KIND.queue)]
    assert service_runs.resume_abandoned(db, celery, (KIND, OTHER)) == 0  # claimed: one core kicks it

    service_runs.step(db, celery, KIND, run_id, lambda progress: Slice(5 if progress == {"at": 1} else 0))
    assert callbacks(db) == [{"status": "complete", "items_deleted": 7}]


def test_a_resume_whose_kick_fails_is_tried_again_at_the_next_call(db, celery):
    run_id = service_runs.request(db, celery, KIND)
    age(db)
    celery.down = True
    assert service_runs.resume_abandoned(db, celery, (KIND,)) == 0
    celery.down = False
    celery.sent.clear()
    assert service_runs.resume_abandoned(db, celery, (KIND,)) == 1
    assert celery.sent == [(KIND.task, [run_id], KIND.queue)]


def test_a_step_refreshes_the_runs_sign_of_life_as_it_starts(db, celery):
    run_id = service_runs.request(db, celery, KIND)
    age(db, by=timedelta(minutes=1, seconds=59))
    seen = []

    def work(_progress):
        seen.append(record(db)["started_at"])
        return Slice(1)

    service_runs.step(db, celery, KIND, run_id, work)
    assert utcnow() - seen[0] < timedelta(seconds=30)


def test_deletions_of_a_run_replaced_while_it_worked_count_for_the_run_under_way(db, celery):
    first = service_runs.request(db, celery, KIND)
    replaced = []

    def long_work(_progress):
        age(db)  # the step took longer than the bound: a request took the run over
        replaced.append(service_runs.request(db, celery, KIND))
        return Slice(40)

    service_runs.step(db, celery, KIND, first, long_work)
    second = replaced[0]
    assert second != first
    assert callbacks(db) == []  # no "items_deleted: 0" for the first run
    service_runs.step(db, celery, KIND, second, lambda _progress: Slice(2))
    assert callbacks(db) == [{"status": "complete", "items_deleted": 42}]
