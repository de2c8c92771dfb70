"""The shared Redis client: a cache and a coordinator, never the only copy of anything."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from config.settings import RedisSettings


def make_redis(settings: RedisSettings) -> Redis:
    return Redis.from_url(
        settings.url,
        socket_timeout=settings.socket_timeout_s,
        socket_connect_timeout=settings.socket_timeout_s,
        health_check_interval=30,
    )


def get_redis(request: Request) -> Redis:
    client: Redis = request.app.state.redis
    return client


RedisDep = Annotated[Redis, Depends(get_redis)]
