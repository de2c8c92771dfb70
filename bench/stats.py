"""Percentiles, markdown tables, and timing loops (HTTP with bounded concurrency, or any coroutine).

The HTTP client is a minimal keep-alive HTTP/1.1 client on asyncio + h11: each of the
``concurrency`` workers owns one connection and sends its next request as soon as the
previous answer is read, so the figures measure the server, not a heavyweight client.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

import h11

T = TypeVar("T")


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class Summary:
    n: int
    p50: float
    p95: float
    p99: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        mean = sum(values) / len(values) if values else math.nan
        return cls(len(values), percentile(values, 50), percentile(values, 95), percentile(values, 99), mean)


def ms(seconds: float) -> str:
    """Seconds as milliseconds for a table cell."""
    if math.isnan(seconds):
        return "—"
    value = seconds * 1000
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table (numbers right-aligned)."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [bool(cells) and all(_numeric(r[i]) for r in cells) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric, strict=True)]
        return "| " + " | ".join(padded) + " |"

    rules = [("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric, strict=True)]
    rule = "|" + "|".join(rules) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in cells)])


def _numeric(cell: str) -> bool:
    digits = cell.removesuffix("x").lstrip("+-").replace(".", "", 1).replace("-", "", 1).replace(",", "")
    return digits.isdigit() or cell == "—"


@dataclass
class HttpTiming:
    """Latency of each request (seconds, in completion order), statuses, bytes, and wall time."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    bytes: int = 0
    wall_s: float = 0.0

    @property
    def summary(self) -> Summary:
        return Summary.of(self.latencies)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall_s if self.wall_s else math.nan


class HttpConnection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._h11 = h11.Connection(h11.CLIENT)

    async def get(self, target: str, headers: Sequence[tuple[str, str]] = ()) -> tuple[int, bytes]:
        """Send ``GET target`` and read the whole answer: (status, body)."""
        if self._writer is None or self._h11.our_state is h11.MUST_CLOSE:
            await self._connect()
        assert self._reader is not None and self._writer is not None
        request = h11.Request(method="GET", target=target, headers=[("Host", self.host), *headers])
        self._writer.write(self._h11.send(request) + (self._h11.send(h11.EndOfMessage()) or b""))
        status, chunks = 0, []
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA:
                data = await self._reader.read(262_144)
                self._h11.receive_data(data)
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("server closed the connection")
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
        return status, b"".join(chunks)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()
            self._writer = self._reader = None

    async def _connect(self) -> None:
        await self.close()
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._h11 = h11.Connection(h11.CLIENT)


async def time_requests(
    base_url: str,
    targets: Sequence[str],
    *,
    concurrency: int = 1,
    headers: Sequence[tuple[str, str]] = (),
    check: Callable[[int, bytes], None] | None = None,
) -> HttpTiming:
    """GET every target (path + query) over ``concurrency`` keep-alive connections; time each one.

    ``concurrency=1`` measures latency (one request in flight); more measures throughput.
    ``check(status, body)`` may raise to stop on a wrong answer.
    """
    timing = HttpTiming()
    queue = iter(targets)

    async def worker() -> None:
        connection = HttpConnection(base_url)
        try:
            for target in queue:
                started = time.perf_counter()
                status, body = await connection.get(target, headers)
                timing.latencies.append(time.perf_counter() - started)
                timing.statuses[status] = timing.statuses.get(status, 0) + 1
                timing.bytes += len(body)
                if check is not None:
                    check(status, body)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    timing.wall_s = time.perf_counter() - started
    return timing


async def time_calls(call: Callable[[T], Awaitable[object]], items: Iterable[T]) -> list[float]:
    """Run ``call(item)`` for each item, one at a time; the seconds each took."""
    latencies = []
    for item in items:
        started = time.perf_counter()
        await call(item)
        latencies.append(time.perf_counter() - started)
    return latencies
