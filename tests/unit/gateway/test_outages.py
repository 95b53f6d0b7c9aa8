import pytest
import redis
from kombu.exceptions import OperationalError
from pymongo.errors import (
    AutoReconnect,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    ServerSelectionTimeoutError,
    WaitQueueTimeoutError,
    WTimeoutError,
)

from services.api_gateway import outages


@pytest.mark.parametrize("error", [
    ServerSelectionTimeoutError("no server"),  # down
    NetworkTimeout("timed out"),  # up but not answering
    AutoReconnect("connection reset"),  # restarted under a pooled connection
    NotPrimaryError("not primary"),  # failing over
    WaitQueueTimeoutError("pool exhausted"),
    ExecutionTimeout("operation exceeded time limit", 50),  # out of time on the server
    WTimeoutError("waiting for replication timed out", 64),
])
def test_unreachable_or_out_of_time_is_an_outage(error):
    assert outages.database_unreachable(error)


def test_a_write_interrupted_by_a_step_down_is_an_outage():
    # What a retryable write raises when the new primary was not there in time: the
    # server's label says that the same write sent again completes.
    error = OperationFailure("interrupted due to repl state change", 11602,
                             {"errorLabels": ["RetryableWriteError"], "code": 11602})
    assert outages.database_unreachable(error)


@pytest.mark.parametrize("error", [
    DuplicateKeyError("E11000", 11000),
    OperationFailure("document too large", 10334),
])
def test_other_database_errors_are_not(error):
    assert not outages.database_unreachable(error)


@pytest.mark.parametrize("error", [redis.ConnectionError(), redis.TimeoutError(), redis.BusyLoadingError(),
                                   OperationalError("Error 111 connecting")])
def test_broker_outages(error):
    assert isinstance(error, outages.BROKER_ERRORS)


def test_a_redis_command_error_is_not_an_outage():
    assert not isinstance(redis.ResponseError("WRONGTYPE"), outages.BROKER_ERRORS)


def test_the_answer_is_503_1016_with_retry_after():
    error = outages.unavailable(outages.DATABASE_UNREACHABLE)
    assert (error.code, error.status, error.title) == (1016, 503, "System overloaded")
    assert outages.retry_after_headers() == {"Retry-After": str(outages.RETRY_AFTER_SECONDS)}
    assert 1 <= outages.RETRY_AFTER_SECONDS <= 2


def _raised_from(cause: BaseException) -> RuntimeError:
    try:
        try:
            raise cause
        except type(cause) as error:
            raise RuntimeError("Retry limit exceeded while trying to reconnect") from error
    except RuntimeError as wrapped:
        return wrapped


def test_an_error_raised_because_of_an_unreachable_redis_counts():
    # What Celery's result backend raises when it gives up reconnecting.
    assert outages.broker_unreachable(_raised_from(redis.ConnectionError("refused")))
    assert outages.broker_unreachable(OperationalError("refused"))


def test_other_errors_do_not():
    assert not outages.broker_unreachable(_raised_from(ValueError("bad")))
    assert not outages.broker_unreachable(RuntimeError("bad"))
