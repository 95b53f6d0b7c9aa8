from services.api_gateway.state import (
    REDIS_CONNECT_TIMEOUT,
    REDIS_SOCKET_TIMEOUT,
    bounded_producer_options,
    connect_redis,
)
from services.common.celery_app import make_celery
from services.common.config import Config


def test_the_producer_is_bounded_over_the_shared_settings():
    celery = make_celery(Config(), "gateway-test")
    options = bounded_producer_options(celery)
    transport = options["broker_transport_options"]
    # The shared settings stay (the kick's visibility timeout); the bounds are added.
    assert transport["visibility_timeout"] == celery.conf.broker_transport_options["visibility_timeout"]
    assert (transport["socket_timeout"], transport["socket_connect_timeout"]) == (REDIS_SOCKET_TIMEOUT,
                                                                                  REDIS_CONNECT_TIMEOUT)
    assert transport["retry_on_timeout"] is False
    assert options["task_publish_retry_policy"]["max_retries"] <= 1
    assert options["result_backend_transport_options"]["retry_policy"]["max_retries"] == 0
    assert options["broker_connection_timeout"] == REDIS_CONNECT_TIMEOUT


def test_a_publish_and_a_redis_command_fit_in_2_s():
    # Paused Redis, worst case (an RPC's result subscription): a command times out, and
    # so does the command on its one reconnection; measured 1.5 s.
    assert 2 * REDIS_SOCKET_TIMEOUT <= 1.5
    assert REDIS_CONNECT_TIMEOUT < REDIS_SOCKET_TIMEOUT


def test_the_redis_client_is_bounded():
    client = connect_redis("redis://127.0.0.1:1/0")  # no connection is made until a command
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (REDIS_SOCKET_TIMEOUT,
                                                                            REDIS_CONNECT_TIMEOUT)
