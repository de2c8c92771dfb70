"""Where a for-you request's time goes: its stages, a profile of its Python, the plans of its SQL.

    python -m bench.profile_recommendations [--events 1000000] [--requests 60] [--no-profile]

Runs ``service.recommend`` in-process (no HTTP) for the signed-in stand-ins of the latency
benchmark (``bench.recommendations``, whose population and model it needs: run that first) on its
database ``happenings_bench_rec_{N}``, with the newest stored model, on a connection set up like the
service's read connections. Prints the median and p95 of each stage (the person's state, the
candidate SQL, ranking, the rest) and of the CPU time this process spent (on a machine shared with
other work the wall times wait for a CPU; the CPU time much less), a pyinstrument profile of the whole loop, and
``EXPLAIN (ANALYZE, BUFFERS)`` of each statement of one warm request.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from app.db import API_SESSION, session_options
from app.kit.cursor import CursorSigner
from app.recommendations import ranking, repository, service, store
from bench.dataset import server_url
from bench.recommendations import DOMAIN, SIGNED_IN
from config.settings import RecommendationSettings

T = TypeVar("T")
STAGES = ("person_of", "candidates", "rank")


class _Timed:
    """Wraps the stage functions of ``service`` to add up their time per request."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)

    def wrap_async(self, name: str, function: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        async def timed(*args: Any, **kwargs: Any) -> T:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                self.current[name] += time.perf_counter() - started

        return timed

    def wrap(self, name: str, function: Callable[..., T]) -> Callable[..., T]:
        def timed(*args: Any, **kwargs: Any) -> T:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.current[name] += time.perf_counter() - started

        return timed


async def _run(url: str, requests: int, profile: bool) -> None:
    settings = RecommendationSettings()
    signer = CursorSigner("profile")
    options = session_options(60_000, "bench-profile", API_SESSION)
    async with await psycopg.AsyncConnection.connect(
        url, row_factory=dict_row, autocommit=True, options=options
    ) as conn:
        version = await repository.latest_version(conn)
        payload = await repository.model_payload(conn, version) if version else None
        model = store.load(payload) if payload else ranking.prior_model()
        model.version = version
        people = []
        for i in range(SIGNED_IN):
            cur = await conn.execute(
                "SELECT a.id, percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Y(e.geom)) AS lat, "
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_X(e.geom)) AS lon FROM accounts a "
                "JOIN interactions i ON i.account_id = a.id JOIN events e ON e.cell = i.cell AND e.id = i.event_id "
                "WHERE a.email = ANY(%s) GROUP BY a.id LIMIT 1",
                ([f"signed{i}@{DOMAIN}", f"p{i}@{DOMAIN}"],),  # before the benchmark's take-over, the latter
            )
            row = await cur.fetchone()
            if row is not None:
                people.append((row["id"], row["lat"], row["lon"]))
        if not people:
            raise SystemExit("no signed-in stand-ins: run python -m bench.recommendations --perf-only first")
        timed = _Timed()
        service.repository = _Repository(timed)  # type: ignore[assignment]
        service.rank = timed.wrap("rank", ranking.rank)  # type: ignore[assignment]

        async def one(n: int) -> float:
            account, lat, lon = people[n % len(people)]
            cpu = time.process_time()
            started = time.perf_counter()
            page = await service.recommend(
                conn, model, signer, settings, account_id=account, lat=lat, lon=lon, limit=10, cursor=None,
                now=datetime.now(UTC),
            )  # fmt: skip
            assert page.items
            timed.current["cpu (this process)"] = time.process_time() - cpu
            return time.perf_counter() - started

        for n in range(len(people)):  # warm: caches, plans
            await one(n)
        stages: dict[str, list[float]] = defaultdict(list)
        profiler = _profiler() if profile else None
        if profiler is not None:
            profiler.start()
        for n in range(requests):
            timed.current.clear()
            total = await one(n)
            cpu = timed.current.pop("cpu (this process)")
            for name in STAGES:
                stages[name].append(timed.current[name])
            stages["rest"].append(total - sum(timed.current.values()))
            stages["total"].append(total)
            stages["cpu (this process)"].append(cpu)
        if profiler is not None:
            profiler.stop()
        print(f"model version {model.version}; {requests} requests of {len(people)} people\n")
        print("| stage | p50 ms | p95 ms |\n|---|---:|---:|")
        for name, values in stages.items():
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            print(f"| {name} | {statistics.median(values) * 1000:.2f} | {p95 * 1000:.2f} |")
        if profiler is not None:
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        await _explain(conn, people[0], settings, model)


class _Repository:
    """``repository`` with the stages of a request timed, and its statements kept for EXPLAIN."""

    def __init__(self, timed: _Timed) -> None:
        self._timed = timed

    def __getattr__(self, name: str) -> Any:
        function = getattr(repository, name)
        return self._timed.wrap_async(name, function) if name in STAGES else function


async def _explain(
    conn: psycopg.AsyncConnection[Any], person: tuple[UUID, float, float], settings: Any, model: Any
) -> None:
    statements: list[tuple[str, Any]] = []
    real = conn.execute

    async def keep(query: Any, params: Any = None, **kwargs: Any) -> Any:
        statements.append((query, params))
        return await real(query, params, **kwargs)

    conn.execute = keep  # type: ignore[method-assign]
    try:
        await service.recommend(
            conn, model, CursorSigner("profile"), settings, account_id=person[0], lat=person[1], lon=person[2],
            limit=10, cursor=None, now=datetime.now(UTC),
        )  # fmt: skip
    finally:
        conn.execute = real  # type: ignore[method-assign]
    for query, params in statements:
        cur = await conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query, params, prepare=False)
        row = await cur.fetchone()
        assert row is not None
        plan = row["QUERY PLAN"][0]
        top = plan["Plan"]
        print(
            f"{' '.join(str(query).split())[:110]}...\n  planning {plan['Planning Time']:.2f} ms, execution "
            f"{plan['Execution Time']:.2f} ms, rows {top['Actual Rows']}, "
            f"buffers {top['Shared Hit Blocks'] + top['Shared Read Blocks']}"
        )


def _profiler() -> Any:
    from pyinstrument import Profiler  # a development tool: only here

    return Profiler(interval=0.0005, async_mode="enabled")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_recommendations", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    url = f"{server_url()}/happenings_bench_rec_{args.events}"
    asyncio.run(_run(url, args.requests, not args.no_profile))


if __name__ == "__main__":
    main()
