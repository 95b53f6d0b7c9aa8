"""The migrations run once, whichever process gets there first, on the real MongoDB."""

from __future__ import annotations

import threading
import time

import pytest

from services.migrations import runner
from services.migrations.plan import Migration


class Recorder:
    """Steps that record who applied them, slow enough for a race to show."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[int] = []
        self.delay = delay
        self.lock = threading.Lock()

    def step(self, version: int) -> Migration:
        def apply(db) -> None:
            time.sleep(self.delay)
            with self.lock:
                self.calls.append(version)
            db.migrated.update_one({"_id": version}, {"$inc": {"runs": 1}}, upsert=True)
        return Migration(version, f"step {version}", apply)


def test_a_fresh_database_gets_every_step_and_the_marker(db):
    steps = Recorder()
    applied = runner.migrate(db, [steps.step(1), steps.step(2)])
    assert applied == [1, 2] and steps.calls == [1, 2]
    assert runner.current_version(db) == 2
    marker = db[runner.COLLECTION].find_one({"_id": runner.MARKER})
    assert [item["version"] for item in marker["applied"]] == [1, 2]
    assert marker["lock_owner"] is None
    assert runner.migrate(db, [steps.step(1), steps.step(2)]) == []  # nothing twice
    assert steps.calls == [1, 2]


def test_only_the_new_step_runs_after_an_upgrade(db):
    steps = Recorder()
    runner.migrate(db, [steps.step(1)])
    assert runner.migrate(db, [steps.step(1), steps.step(2)]) == [2]
    assert steps.calls == [1, 2]


def test_concurrent_processes_apply_each_step_once(db):
    steps = Recorder(delay=0.2)
    migrations = [steps.step(1), steps.step(2)]
    results: list[list[int]] = []
    threads = [threading.Thread(target=lambda: results.append(runner.migrate(db, migrations, wait_seconds=10)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(steps.calls) == [1, 2]
    assert sorted(version for applied in results for version in applied) == [1, 2]
    assert [doc["runs"] for doc in db.migrated.find().sort("_id")] == [1, 1]


def test_a_lock_held_by_a_dead_process_is_taken_once_it_expires(db):
    steps = Recorder()
    db[runner.COLLECTION].insert_one({"_id": runner.MARKER, "version": 0, "lock_owner": "dead:1:x",
                                      "lock_until": None})
    db[runner.COLLECTION].update_one({"_id": runner.MARKER}, [{"$set": {"lock_until": {"$add": ["$$NOW", 600]}}}])
    started = time.monotonic()
    assert runner.migrate(db, [steps.step(1)], wait_seconds=5) == [1]
    assert time.monotonic() - started >= 0.4  # it waited for the 600 ms lock to run out
    assert runner.current_version(db) == 1


def test_a_lock_that_never_frees_ends_in_a_timeout(db):
    db[runner.COLLECTION].insert_one({"_id": runner.MARKER, "version": 0, "lock_owner": "alive:1:x"})
    db[runner.COLLECTION].update_one({"_id": runner.MARKER}, [{"$set": {"lock_until": {"$add": ["$$NOW", 60_000]}}}])
    with pytest.raises(runner.MigrationTimeout):
        runner.migrate(db, [Recorder().step(1)], wait_seconds=0.5)


def test_prepare_creates_every_domain_index_and_reaches_the_head(db):
    for name in db.list_collection_names():
        db.drop_collection(name)
    runner.prepare(db)
    assert runner.current_version(db) == runner.head(runner.MIGRATIONS)
    assert "expires_at_1" in db.core_nodes.index_information()
    assert "next_attempt_at_1" in db.pending_callbacks.index_information()
    assert "media_prep_by_shard" in db.messages.index_information()


def test_prepare_once_prepares_a_database_once_per_process(db, monkeypatch):
    calls = []
    monkeypatch.setattr(runner, "_prepared", set())
    monkeypatch.setattr(runner, "prepare", lambda database: calls.append(database.name))
    runner.prepare_once(db)
    runner.prepare_once(db)
    assert calls == [db.name]
    runner.prepare_once(db.client["another_database"])
    assert calls == [db.name, "another_database"]
