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
