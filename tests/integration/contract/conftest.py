"""Contract fixtures: the gateway's own (real app, real MongoDB and Redis), reused as is."""

from tests.integration.gateway.conftest import app, auth, client, redis, token  # noqa: F401
