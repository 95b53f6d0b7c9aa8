"""kombu's Redis transport and connection, made to survive the loss of Redis.

Reconnecting: Celery's consumer retries with kombu's default backoff (2 s, 4 s, ... up to
30 s between attempts), so a worker could stay away for half a minute after Redis came
back. ``Connection`` caps it at ``RECONNECT_MAX_SECONDS``, the sweep interval: once
Redis is back, every consumer is back within that.

Closing:
Celery 5.7 handles a lost broker connection by first ``collect()``-ing the connection
(which detaches the transport from it) and then ``close()``-ing it; the close closes the
consumer's channel, which tries to put its unacknowledged messages back into Redis and
needs the connection parameters for that. With the transport detached, kombu raised
``AttributeError`` there, which is not a connection error: Celery called it an
"unrecoverable error" and the worker stopped instead of reconnecting.

Here that case raises a Redis ``ConnectionError`` instead, which kombu treats as the
broker being gone (it is): the close goes on and the worker reconnects. The messages
that could not be put back are only kicks; after a Redis restart without persistence
they are gone whatever we do, and otherwise Redis itself still holds them (kombu's
``unacked`` hash, restored after the visibility timeout). MongoDB holds the work and the
sweeps re-kick it either way.
"""

from __future__ import annotations

from typing import Any

import kombu
from celery.app.amqp import AMQP as CeleryAMQP
from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection was already closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel


RECONNECT_FIRST_SECONDS = 1.0
RECONNECT_STEP_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 5.0


class Connection(kombu.Connection):
    def ensure_connection(self, errback=None, max_retries=None, interval_start=RECONNECT_FIRST_SECONDS,
                          interval_step=RECONNECT_STEP_SECONDS, interval_max=RECONNECT_MAX_SECONDS,
                          **kwargs: Any):  # noqa: ANN001, ANN201 (kombu's signature)
        return super().ensure_connection(errback, max_retries, interval_start, interval_step, interval_max,
                                         **kwargs)


class AMQP(CeleryAMQP):
    """Celery's ``amqp_cls``: the messaging side of the app, with our ``Connection``."""

    Connection = Connection
