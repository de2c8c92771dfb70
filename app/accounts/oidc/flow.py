"""Sign-ins in progress, held in Redis between the redirect to the provider and its answer.

A started sign-in is stored under ``{prefix}oidc:flow:{sha256(state)}`` for ``flow_ttl_s``: the
provider, the nonce, the PKCE verifier, where to go afterwards, and the hash of the browser's
binding secret. The callback takes it with GETDEL, so a state works once. The binding secret lives
in an HttpOnly, SameSite=Lax cookie (``__Host-`` prefixed where cookies are Secure, so no sibling
domain can plant one): a callback URL carried to another browser (login CSRF: someone else's sign-in
finished in the victim's browser) finds no matching cookie and is refused.

Mobile apps get their tokens through a hand-off code: the callback stores
``{prefix}oidc:handoff:{sha256(code)}`` (the account and the app's PKCE challenge) for
``HANDOFF_TTL_S`` and sends the code to the app's redirect URI; the app trades it once, with its
verifier, for the same tokens a password sign-in returns.

Redis is required here: when it cannot be asked, social sign-in answers 503 (fail closed).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.accounts.tokens import digest
from app.errors import ServiceUnavailable

log = logging.getLogger("happenings.accounts.oidc")

HANDOFF_TTL_S = 120


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    provider: str
    nonce: str
    code_verifier: str
    browser_hash: str  # hex SHA-256 of the binding cookie's secret
    next_path: str
    # Mobile apps only: where to send the hand-off code, the app's own state and PKCE challenge (S256).
    app_redirect_uri: str | None = None
    app_state: str | None = None
    app_challenge: str | None = None


@dataclass(frozen=True, slots=True)
class Handoff:
    account_id: UUID
    app_challenge: str


class Flows:
    def __init__(self, redis: Redis, key_prefix: str, ttl_s: int) -> None:
        self._redis = redis
        self._prefix = f"{key_prefix}oidc:"
        self._ttl_s = ttl_s

    async def put(self, state: str, pending: PendingSignIn) -> None:
        await self._set(f"flow:{digest(state).hex()}", json.dumps(asdict(pending)), self._ttl_s)

    async def take(self, state: str) -> PendingSignIn | None:
        """The sign-in started with ``state``, once: None when unknown, expired or already taken."""
        raw = await self._take(f"flow:{digest(state).hex()}")
        return None if raw is None else PendingSignIn(**json.loads(raw))

    async def put_handoff(self, code: str, handoff: Handoff) -> None:
        value = json.dumps({"account_id": str(handoff.account_id), "app_challenge": handoff.app_challenge})
        await self._set(f"handoff:{digest(code).hex()}", value, HANDOFF_TTL_S)

    async def take_handoff(self, code: str) -> Handoff | None:
        raw = await self._take(f"handoff:{digest(code).hex()}")
        if raw is None:
            return None
        value = json.loads(raw)
        return Handoff(UUID(value["account_id"]), value["app_challenge"])

    async def _set(self, key: str, value: str, ttl_s: int) -> None:
        try:
            await self._redis.set(f"{self._prefix}{key}", value, ex=ttl_s)
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc

    async def _take(self, key: str) -> bytes | str | None:
        try:
            raw: bytes | str | None = await self._redis.getdel(f"{self._prefix}{key}")
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return raw


def _unavailable(exc: Exception) -> ServiceUnavailable:
    log.warning("sign-in state unavailable, refusing: %r", exc)
    return ServiceUnavailable("sign-in is unavailable for a moment, try again shortly", headers={"Retry-After": "5"})
