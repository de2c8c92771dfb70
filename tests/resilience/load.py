"""Concurrent clients making mixed requests in a loop, every answer recorded with its timing.

Requests go through real HTTP semantics (httpx over ASGI): an exception the app lets escape (a 500
from the server's point of view) reaches the client here and is recorded, as is a request that gets
no answer within ``CLIENT_TIMEOUT_S``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI

# What the clients waited before giving up: an answer must come well before this.
CLIENT_TIMEOUT_S = 5.0

# (kind, method, url): one request of the mix.
Request = tuple[str, str, str]
Picker = Callable[[random.Random], Request]


@dataclass(frozen=True, slots=True)
class Answer:
    kind: str
    url: str
    started: float  # time.monotonic()
    ended: float
    status: int | None  # None: no answer (see ``error``)
    error: str | None = None
    retry_after: str | None = None
    content_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400

    @property
    def unavailable(self) -> bool:
        """A 503 problem that says when to try again."""
        return self.status == 503 and bool(self.retry_after) and self.content_type == "application/problem+json"

    def overlaps(self, start: float, end: float) -> bool:
        return self.started < end and self.ended > start


@dataclass
class Load:
    """``clients`` tasks, each sending ``pick(rng)`` after the other until ``stop``."""

    client: httpx.AsyncClient
    pick: Picker
    clients: int = 4
    answers: list[Answer] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._client(random.Random(n))) for n in range(self.clients)]

    async def stop(self) -> None:
        self._stopping.set()
        await asyncio.gather(*self._tasks)

    async def _client(self, rng: random.Random) -> None:
        while not self._stopping.is_set():
            self.answers.append(await send(self.client, *self.pick(rng)))
            await asyncio.sleep(0)  # let the test's own steps run between requests

    def failures(self) -> list[Answer]:
        """Answers that are not a success or a 503 problem with Retry-After: there must be none."""
        return [a for a in self.answers if not a.ok and not a.unavailable]

    def summary(self) -> str:
        counts = Counter((a.kind, a.status if a.error is None else a.error) for a in self.answers)
        return ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(counts.items(), key=str))


async def send(client: httpx.AsyncClient, kind: str, method: str, url: str) -> Answer:
    started = time.monotonic()
    try:
        async with asyncio.timeout(CLIENT_TIMEOUT_S):
            response = await client.request(method, url)
    except TimeoutError:
        return Answer(kind, url, started, time.monotonic(), None, "timeout")
    except Exception as exc:  # the app let an exception escape: a 500 with a traceback
        return Answer(kind, url, started, time.monotonic(), None, f"{type(exc).__name__}: {exc}")
    headers = response.headers
    return Answer(
        kind,
        url,
        started,
        time.monotonic(),
        response.status_code,
        None,
        headers.get("retry-after"),
        headers.get("content-type"),
    )


async def until_ok(client: httpx.AsyncClient, request: Request, tries: int, every_s: float) -> int:
    """Send ``request`` until it succeeds; how many tries it took (fails the test after ``tries``)."""
    seen: list[str] = []
    for attempt in range(1, tries + 1):
        answer = await send(client, *request)
        if answer.ok:
            return attempt
        seen.append(str(answer.status or answer.error))
        await asyncio.sleep(every_s)
    raise AssertionError(f"{request} still failing after {tries} tries: {seen}")


class Records(logging.Handler):
    """Every log record at WARNING or above, to check what an outage writes to the log."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def with_traceback(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in self.records if r.exc_info]

    def __enter__(self) -> Records:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)


@asynccontextmanager
async def serving(app: FastAPI, *, wait: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (``wait``: with its pool's first connections made) and a client for it."""
    async with app.router.lifespan_context(app):
        if wait:
            await app.state.pool.wait()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
