"""deliver_once / sweep_once against a real MongoDB, with the HTTP and Celery sides faked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.callbacks import outbox
from services.common.clock import utcnow
from services.settings import app_settings
from services.webhook_dispatcher import tasks
from services.webhook_dispatcher.delivery import Outcome

PAYLOAD = {"messages": [{"id": "ABGGFlA5FpafAgo6EhvMMPyO4QEJ", "type": "text"}]}


class Recorder:
    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes)
        self.posts: list[tuple[str, dict, str]] = []
        self.kicks: list[tuple[str, float]] = []

    def post(self, url, payload, *, callback_id, timeout):  # noqa: ANN001, ANN201
        self.posts.append((url, payload, callback_id))
        return self.outcomes.pop(0)

    def schedule(self, callback_id: str, delay: float) -> None:
        self.kicks.append((callback_id, delay))


def _insert(db, callback_id: str, *, attempts: int = 0, due_in: float = 0.0) -> None:
    now = utcnow()
    db.pending_callbacks.insert_one(
        {
            "_id": callback_id,
            "payload": PAYLOAD,
            "attempts": attempts,
            "next_attempt_at": now + timedelta(seconds=due_in),
            "created_at": now,
            "last_error": None,
        }
    )


@pytest.fixture
def hook_url(db) -> str:
    url = "https://hook.example/cb"
    app_settings.apply_patch(db, {"webhooks.url": url, "callback_backoff_delay_ms": 1000})
    return url


def _run(db, config, recorder: Recorder, callback_id: str = "cb") -> str:
    return tasks.deliver_once(db, config, callback_id, schedule=recorder.schedule, post=recorder.post)


def test_200_deletes_the_callback(db, config, hook_url):
    _insert(db, "cb")
    recorder = Recorder(Outcome(ok=True, status=200))
    assert _run(db, config, recorder) == "delivered"
    assert recorder.posts == [(hook_url, PAYLOAD, "cb")]
    assert db.pending_callbacks.count_documents({}) == 0
    assert recorder.kicks == []


def test_failure_counts_the_attempt_and_schedules_the_linear_backoff(db, config, hook_url):
    _insert(db, "cb", attempts=2)
    recorder = Recorder(Outcome(ok=False, status=503, error="HTTP 503"))
    before = utcnow()
    assert _run(db, config, recorder) == "retry"
    doc = db.pending_callbacks.find_one({"_id": "cb"})
    assert doc["attempts"] == 3
    assert doc["last_error"] == "HTTP 503"
    assert before + timedelta(seconds=2.9) <= doc["next_attempt_at"] <= utcnow() + timedelta(seconds=3)
    assert recorder.kicks == [("cb", 3.0)]


def test_missing_url_keeps_the_callback_without_counting_an_attempt(db, config):
    _insert(db, "cb")
    recorder = Recorder()
    assert _run(db, config, recorder) == "no_url"
    doc = db.pending_callbacks.find_one({"_id": "cb"})
    assert doc["attempts"] == 0
    assert doc["last_error"] == tasks.NO_URL_ERROR
    assert recorder.posts == []
    assert recorder.kicks == [("cb", 3.0)]


def test_gone_callback_is_done(db, config, hook_url):
    recorder = Recorder()
    assert _run(db, config, recorder, "never-queued") == "skipped"
    assert recorder.posts == []


def test_not_yet_due_callback_is_left_alone(db, config, hook_url):
    _insert(db, "cb", due_in=30)
    recorder = Recorder()
    assert _run(db, config, recorder) == "skipped"
    assert recorder.posts == []


def test_only_one_of_two_racing_claims_wins(db, config, hook_url):
    _insert(db, "cb")
    first = outbox.claim(db, "cb", lease_seconds=12)
    second = outbox.claim(db, "cb", lease_seconds=12)
    assert first is not None and second is None
    leased = db.pending_callbacks.find_one({"_id": "cb"})["next_attempt_at"]
    assert leased > utcnow() + timedelta(seconds=11)


def test_sweep_rekicks_only_overdue_callbacks_once_per_grace(db, config):
    _insert(db, "lost", due_in=-10)
    _insert(db, "just-due", due_in=-0.5)
    _insert(db, "future", due_in=60)
    recorder = Recorder()
    assert tasks.sweep_once(db, grace_seconds=5, schedule=recorder.schedule) == 1
    assert recorder.kicks == [("lost", 0.0)]
    # Re-armed to "due now", so an immediate second sweep does not kick it again.
    assert tasks.sweep_once(db, grace_seconds=5, schedule=recorder.schedule) == 0
    assert outbox.claim(db, "lost", lease_seconds=12) is not None


def test_sweep_stops_at_the_first_kick_the_broker_refuses(db):
    for number in range(3):
        _insert(db, f"lost-{number}", due_in=-10 - number)
    refused: list[str] = []

    def broker_down(callback_id: str, delay: float) -> bool:
        refused.append(callback_id)
        return False

    assert tasks.sweep_once(db, grace_seconds=5, schedule=broker_down) == 0
    assert refused == ["lost-2"]  # the most overdue; the others wait for the next sweep


def test_a_delivery_the_egress_policy_refuses_is_a_failed_attempt_retried_with_backoff(db, config):
    """The real ``post_callback``: the webhook resolves to loopback, which this dispatcher
    (WA_EGRESS_ALLOW unset) does not connect to. Nothing is connected; the attempt counts
    and the callback waits for its backoff like after any failure."""
    from services.webhook_dispatcher import delivery
    from tests.common.listeners import CountingListener

    delivery.configure(config.egress_allow)
    listener = CountingListener("127.0.0.1")
    try:
        app_settings.apply_patch(db, {"webhooks.url": f"http://localhost:{listener.port}/cb",
                                      "callback_backoff_delay_ms": 1000})
        _insert(db, "cb")
        kicks: list[tuple[str, float]] = []
        result = tasks.deliver_once(db, config, "cb", schedule=lambda cid, delay: kicks.append((cid, delay)))
        doc = db.pending_callbacks.find_one({"_id": "cb"})
    finally:
        listener.close()
    assert result == "retry" and listener.connections == 0
    assert doc["attempts"] == 1 and doc["last_error"] == "egress refused"
    assert kicks == [("cb", 1.0)]
