"""Is this session still live? Answered from memory, kept exact by Redis pub/sub, else from PostgreSQL.

Every authenticated request must learn that its session was revoked (logout, logout-all, a reused
refresh token, a password reset, an erased account) at once, and what the account's role and
email verification are now. The truth is ``auth_sessions`` joined to ``accounts``; asking it costs
a pooled connection and a round trip per request. So each process keeps the answers it has read
(``SessionCache``) and drops them when told: every change publishes ``SessionsChanged`` on the
unit of work, and after the commit this process drops its own entries and publishes the change on
``{prefix}auth:sessions`` before the response leaves, to every other process.

The cache is used only while its subscription stands (``tiles.nearcache.Subscription``: the
message is applied in the socket callback, before any request that arrived later); when Redis is
unreachable every request asks PostgreSQL. An answer read before an invalidation arrived is not
kept (``version``), and no entry lives longer than ``ENTRY_TTL_S`` whatever happens.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("happenings.accounts.sessions")

MAX_ENTRIES = 100_000
ENTRY_TTL_S = 60.0
EVERYTHING = b"*"


@dataclass(frozen=True, slots=True)
class SessionState:
    """A live session as the authenticator needs it."""

    session_id: UUID
    account_id: UUID
    role: str
    email_verified: bool
    expires_at: float  # epoch seconds: the session's absolute end


@dataclass(frozen=True, slots=True)
class SessionsChanged:
    """Published on the unit of work when sessions end or their account's role or verification changes.

    ``session_id`` None: every session of the account (logout-all, a new password, erase, verify).
    """

    account_id: UUID
    session_id: UUID | None = None

    def message(self) -> bytes:
        return f"a:{self.account_id}".encode() if self.session_id is None else f"s:{self.session_id}".encode()


class SessionCache:
    """Live sessions this process has read, valid only while ``live`` (the subscription stands)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self.live = False
        self.version = 0
        self._entries: OrderedDict[UUID, tuple[SessionState, float]] = OrderedDict()
        self._by_account: dict[UUID, set[UUID]] = {}

    def get(self, session_id: UUID) -> SessionState | None:
        if not self.live:
            return None
        found = self._entries.get(session_id)
        if found is None:
            return None
        state, deadline = found
        if time.monotonic() >= deadline:
            self._forget(session_id)
            return None
        return state

    def put(self, state: SessionState, version: int) -> None:
        """Keep ``state`` unless an invalidation arrived since ``version`` was read."""
        if not self.live or version != self.version:
            return
        self._entries[state.session_id] = (state, time.monotonic() + ENTRY_TTL_S)
        self._by_account.setdefault(state.account_id, set()).add(state.session_id)
        while len(self._entries) > self.max_entries:
            oldest = next(iter(self._entries))
            self._forget(oldest)

    def drop(self, change: SessionsChanged) -> None:
        self.version += 1
        if change.session_id is not None:
            self._forget(change.session_id)
            return
        for session_id in self._by_account.pop(change.account_id, set()):
            self._entries.pop(session_id, None)

    def clear(self) -> None:
        self.version += 1
        self._entries.clear()
        self._by_account.clear()

    # The subscription's side (tiles.nearcache.Invalidated).
    def apply(self, message: bytes) -> None:
        """``*``, or space-separated ``a:<account id>`` / ``s:<session id>``."""
        if message == EVERYTHING:
            self.clear()
            return
        for item in message.split():
            kind, _, value = item.partition(b":")
            try:
                ident = UUID(value.decode())
            except ValueError:
                self.clear()
                continue
            if kind == b"s":
                self.drop(SessionsChanged(account_id=_NOBODY, session_id=ident))
            else:
                self.drop(SessionsChanged(account_id=ident))

    def go_live(self) -> None:
        self.clear()
        self.live = True

    def go_dark(self) -> None:
        self.live = False
        self.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _forget(self, session_id: UUID) -> None:
        found = self._entries.pop(session_id, None)
        if found is None:
            return
        sessions = self._by_account.get(found[0].account_id)
        if sessions is not None:
            sessions.discard(session_id)
            if not sessions:
                del self._by_account[found[0].account_id]


_NOBODY = UUID(int=0)


class SessionInvalidations:
    """The after-commit listener: drop here at once, then tell every other process."""

    def __init__(self, cache: SessionCache, redis: Redis, channel: str) -> None:
        self.cache = cache
        self._redis = redis
        self.channel = channel

    async def on_changed(self, change: SessionsChanged) -> None:
        self.cache.drop(change)
        try:
            await self._redis.publish(self.channel, change.message())
        except (RedisError, OSError) as exc:
            # Other processes either lost their subscription too (and ask PostgreSQL), or drop the
            # entry within ENTRY_TTL_S.
            log.warning("could not publish a session change: %r", exc)
