"""The workers' Celery options and exit code, against a real Redis (or none)."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest
from kombu.exceptions import OperationalError

from services.common.celery_app import make_celery
from services.common.config import Config
from tests.integration.dispatcher.conftest import REPO


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_worker_stopped_by_an_unrecoverable_error_exits_non_zero():
    # Retrying at start-up is switched off here so that the missing broker is fatal:
    # the exit code a supervisor sees must say so (Celery's worker_main dropped it: 0).
    script = textwrap.dedent(f"""
        from services.common.celery_app import make_celery, run_worker, worker_argv
        from services.common.config import Config

        app = make_celery(Config(redis_url="redis://127.0.0.1:{_closed_port()}/0"), "exit-code-test")
        app.conf.broker_connection_retry_on_startup = False
        run_worker(app, worker_argv(name="exit-code-test", queues=["exit-code-test"], pool="solo"))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, timeout=60)
    assert result.returncode == 1, result.stderr[-2000:]
    assert b"Shutting down" in result.stderr  # the worker's own stop, not a crash of the script


def test_producers_and_consumers_use_the_guarded_transport_with_bounded_sockets(config):
    app = make_celery(config, "options-test")
    try:
        with app.connection_for_write() as connection:
            assert type(connection.transport).__module__ == "services.common.broker_transport"
            # A real round trip through the guarded transport.
            with connection.SimpleQueue("options-test") as queue:
                queue.put({"n": 1})
                message = queue.get(timeout=5)
                message.ack()
                assert message.payload == {"n": 1}
        options = app.conf.broker_transport_options
        assert options["socket_timeout"] and options["socket_connect_timeout"]
        assert app.conf.broker_connection_max_retries is None
    finally:
        app.close()


def test_a_collected_channel_reports_a_connection_error_not_an_attribute_error(config):
    from redis.exceptions import ConnectionError as RedisConnectionError

    app = make_celery(config, "collect-test")
    try:
        connection = app.connection_for_write()
        channel = connection.default_channel
        connection.collect()  # what Celery does first when the broker connection is lost
        with pytest.raises(RedisConnectionError):
            channel._connparams()
        connection.close()  # and then this, which used to stop the worker
    finally:
        app.close()



def test_reconnect_attempts_are_no_further_apart_than_the_sweep_interval():
    from services.common.broker_transport import RECONNECT_MAX_SECONDS

    app = make_celery(Config(redis_url=f"redis://127.0.0.1:{_closed_port()}/0"), "reconnect-test")
    intervals: list[float] = []
    try:
        connection = app.connection_for_write()
        with pytest.raises(OperationalError):
            # The call the worker's consumer makes (with max_retries None: for ever).
            connection.ensure_connection(lambda _exc, interval: intervals.append(interval), 3)
    finally:
        app.close()
    assert intervals[0] <= 1.0 and max(intervals) <= RECONNECT_MAX_SECONDS, intervals
