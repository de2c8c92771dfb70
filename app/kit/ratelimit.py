"""Fixed-window abuse limits in Redis, several keys checked and counted in one round trip.

``RateLimiter.hit`` counts one attempt against every given limit (e.g. per IP and per email) and
refuses with 429 and ``Retry-After`` when any is over. When Redis cannot be asked, it refuses with
503 and ``Retry-After``: the limits guard password guessing, so without them the door stays shut
(fail closed). Keys carry no identifier in clear: emails and addresses are keyed by a hash.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.errors import ProblemError, ServiceUnavailable

log = logging.getLogger("happenings.ratelimit")

RETRY_WHEN_DOWN_S = 5

# KEYS: the counters; ARGV: limit and window (ms) of each, in order. Counts every key, then answers
# the largest wait among those over their limit (0: none is).
_HIT = """
local wait = 0
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local window = tonumber(ARGV[2 * i])
  if count == 1 then redis.call('PEXPIRE', key, window) end
  if count > tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then redis.call('PEXPIRE', key, window); ttl = window end
    if ttl > wait then wait = ttl end
  end
end
return wait
"""


class TooManyRequests(ProblemError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` attempts per ``window_s`` for one key."""

    name: str
    count: int
    window_s: int

    @classmethod
    def parse(cls, name: str, spec: str) -> Limit:
        count, _, seconds = spec.partition("/")
        return cls(name, int(count), int(seconds))


class RateLimiter:
    def __init__(self, redis: Redis, key_prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{key_prefix}rl:"
        self._script = redis.register_script(_HIT)

    async def hit(self, *checks: tuple[Limit, str]) -> None:
        """Count one attempt for each (limit, subject); raise 429 if any is over, 503 if Redis is down."""
        keys = [f"{self._prefix}{limit.name}:{subject}" for limit, subject in checks]
        args: list[int] = []
        for limit, _ in checks:
            args += [limit.count, limit.window_s * 1000]
        try:
            wait_ms = int(await self._script(keys=keys, args=args))
        except (RedisError, OSError) as exc:
            log.warning("rate limits unavailable, refusing: %r", exc)
            raise ServiceUnavailable(
                "sign-in is unavailable for a moment, try again shortly",
                headers={"Retry-After": str(RETRY_WHEN_DOWN_S)},
            ) from exc
        if wait_ms > 0:
            retry = max(1, math.ceil(wait_ms / 1000))
            raise TooManyRequests(f"too many attempts, try again in {retry} s", headers={"Retry-After": str(retry)})

    async def forget(self, limit: Limit, subject: str) -> None:
        """Drop one counter (e.g. an account's after it is erased)."""
        await self._redis.delete(f"{self._prefix}{limit.name}:{subject}")


def email_subject(email: str) -> str:
    """An email address as a limit's subject: a hash of its lower-cased form, never the address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def ip_subject(host: str | None) -> str:
    """A client address as a limit's subject (hashed); an IPv6 address counts for its whole /64."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "unknown"
    if address.version == 6:
        address = ipaddress.ip_network(f"{address}/64", strict=False).network_address
    return hashlib.sha256(address.packed).hexdigest()[:32]
