"""The resilience tests run their own PostgreSQL and Redis, which they kill under load."""

from tests.fixtures.private_servers import private_postgres, private_redis
from tests.tiles.conftest import store

__all__ = ["private_postgres", "private_redis", "store"]
