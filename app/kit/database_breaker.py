"""A lost database is a fast 503, and the pools come back clean when it returns.

One ``DatabaseBreaker`` per app (``app.state.database_breaker``) stands in front of every pool that
serves requests: the API pool (``ReadConnDep``, ``UnitOfWorkDep``) and the tile pools.

- **Closed** (the normal state) it costs one attribute read per request: no check, no extra round trip.
- A request that lost its connection (``connection_lost``: the server closed the socket, is
  shutting down or refuses connections) or found no pooled connection in time (``PoolTimeout``)
  makes it ask the server directly, with one new connection outside the pools. When that connects,
  the server is up and only pooled connections died (a restart nobody saw, a killed backend): the
  pools' idle connections are checked (``pool.check()`` replaces the dead ones), and a read that
  lost its connection runs once more on a fresh one (``recover``). When it does not connect the
  breaker **opens**.
- **Open**, every request that needs the database answers 503 problem+json with ``Retry-After`` at
  once (``DatabaseUnavailable``) instead of waiting for a pool that has nothing to give; tiles and
  anything else served from a cache still answer. A probe connects every ``PROBE_EVERY_S``; once it
  succeeds, the pools' idle connections are checked (each one outlived the server, so none may be
  handed out again) and only then does the breaker close.

Writes are never retried: a write that lost its connection may or may not have committed, so it
answers 503 and is never reported as done (``app.db.unit_of_work``). The outage and the return are
one warning line each, not a traceback per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.responses import Response

from app.errors import ServiceUnavailable, problem_response
from config.settings import DatabaseSettings

log = logging.getLogger("happenings.database")

PROBE_EVERY_S = 0.5
# SQLSTATEs that mean the server is going away or not accepting connections yet: admin and crash
# shutdown, "the database system is starting up". Class 08 is "connection exception".
_GONE = frozenset({"57P01", "57P02", "57P03"})


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached (or the write's outcome is unknown): try again shortly."""


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection (or the server) is gone, as opposed to a failed statement."""
    if not isinstance(exc, psycopg.OperationalError):
        return False
    sqlstate = exc.sqlstate
    # No SQLSTATE: the client library found the socket closed or broken ("server closed the
    # connection unexpectedly", "the connection is closed", "consuming input failed").
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _GONE


def unavailable_cause(exc: BaseException) -> bool:
    """Whether ``exc`` is one the breaker handles: a lost connection, or no pooled connection in time."""
    return isinstance(exc, PoolTimeout) or connection_lost(exc)


class DatabaseBreaker:
    """Answers for the database while it is away; see the module docstring."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self.url = settings.url
        self.connect_timeout_s = settings.connect_timeout_s
        self.headers = {"Retry-After": str(settings.retry_after_s)}
        self.down = False
        self._pools: list[AsyncConnectionPool[Any]] = []
        self._asking: asyncio.Task[bool] | None = None
        self._probe: asyncio.Task[None] | None = None
        self._down_since = 0.0
        self._closed = False

    def watch(self, *pools: AsyncConnectionPool[Any]) -> None:
        """Check these pools' idle connections whenever the server may have restarted."""
        self._pools.extend(pools)

    def ensure_up(self) -> None:
        """Raise ``DatabaseUnavailable`` at once while the breaker is open."""
        if self.down:
            raise self.unavailable()

    def unavailable(self, detail: str = "the database is unavailable; try again shortly") -> DatabaseUnavailable:
        return DatabaseUnavailable(detail, headers=self.headers)

    def answer(self, exc: BaseException) -> DatabaseUnavailable:
        """The 503 for a database error nothing else handled (a statement timeout, a lock wait given up,
        a connection lost twice): one warning line, no traceback."""
        if unavailable_cause(exc):
            self.notice(exc)
        log.warning("database error answered 503: %s", _line(exc))
        return self.unavailable()

    async def recover(self, exc: BaseException) -> None:
        """After ``exc`` (a lost connection): return once a fresh connection may be tried, or raise
        ``DatabaseUnavailable`` when the server is down. Concurrent callers share one check."""
        asking = None if self.down else self._ask(exc)
        if asking is None or not await asyncio.shield(asking):
            raise self.unavailable() from None

    def notice(self, exc: BaseException) -> None:
        """``recover`` in the background, for callers that answer 503 anyway (nothing to retry)."""
        if not self.down:
            self._ask(exc)

    async def aclose(self) -> None:
        self._closed = True
        for task in (self._asking, self._probe):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _ask(self, exc: BaseException) -> asyncio.Task[bool] | None:
        """The one task asking the server (started now if none is running); None once closed."""
        if self._asking is None and not self._closed:
            self._asking = asyncio.create_task(self._server_answers(exc), name="database-breaker-ask")
        return self._asking

    async def _server_answers(self, exc: BaseException) -> bool:
        try:
            if await self._reachable():
                if connection_lost(exc):
                    log.warning("database connection lost (%s); checking the idle pooled connections", _line(exc))
                # Also after a pool timeout: a request that lost its connection meanwhile may be waiting
                # on this answer to retry. An exhausted pool has no idle connection: nothing to check.
                await self._check_pools()
                return True
            self._open(exc)
            return False
        finally:
            self._asking = None

    def _open(self, exc: BaseException) -> None:
        if self.down:
            return
        self.down = True
        self._down_since = time.monotonic()
        log.warning("database unavailable (%s); answering 503 until it is back", _line(exc))
        self._probe = asyncio.create_task(self._probe_until_up(), name="database-breaker-probe")

    async def _probe_until_up(self) -> None:
        while True:
            await asyncio.sleep(PROBE_EVERY_S)
            if await self._reachable():
                break
        await self._check_pools()
        self.down = False
        self._probe = None
        log.warning("database available again after %.1f s", time.monotonic() - self._down_since)

    async def _reachable(self) -> bool:
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.url, connect_timeout=self.connect_timeout_s, application_name="happenings-probe"
            )
        except (psycopg.Error, OSError):
            return False
        await conn.close()
        return True

    async def _check_pools(self) -> None:
        # Each dead idle connection fails its check at once (its socket is closed) and is replaced.
        await asyncio.gather(*(pool.check() for pool in self._pools if not pool.closed), return_exceptions=True)


def _line(exc: BaseException) -> str:
    """The error as one short line (libpq messages span lines)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def answer_database_errors(app: FastAPI) -> None:
    """Answer any database error that got past the paths above as a 503 with ``Retry-After``, never a 500.

    The request paths raise ``DatabaseUnavailable`` themselves; this catches the rest (a statement
    timeout, a lock wait given up, a new path that uses a pool directly) with one warning line and
    no traceback. A lost connection also makes the breaker ask the server.
    """

    async def on_database_error(request: Request, exc: Exception) -> Response:
        breaker: DatabaseBreaker = request.app.state.database_breaker
        problem = breaker.answer(exc)
        return problem_response(
            problem.status, problem.slug, problem.title, problem.detail, request.url.path, problem.headers
        )

    app.add_exception_handler(psycopg.OperationalError, on_database_error)
    app.add_exception_handler(PoolTimeout, on_database_error)
