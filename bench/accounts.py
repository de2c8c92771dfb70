"""Accounts benchmark: sign-in latency at the service's argon2 parameters, the authenticator's cost,
and map tiles during a sign-in storm.

``python -m bench --only accounts --sizes 100000`` (or ``python -m bench.accounts [--events N] [--quick]``).
One uvicorn worker (uvloop, httptools) with the default ``AuthSettings`` (argon2id m=19 MiB, t=2,
p=1, one hash at a time per process), abuse limits raised out of the way, on the benchmark database
of the smallest size asked for. Four figures:

- **sign-in**: ``POST /api/v1/auth/login`` one at a time, p50 and p95 (the hash dominates);
- **authenticated GET overhead**: the same tiny endpoint (``/bench/whoami``, an ``OptionalSubjectDep``
  and a constant answer, added by this module's app factory) without and with a bearer token,
  in alternating rounds over one keep-alive connection: p50 with minus p50 without;
- **tile hits under a sign-in storm**: p95 of a cached z14 tile, one request in flight, while
  idle and while ``STORM_CLIENTS`` clients sign in back to back (each its own account);
  the ratio (target ≤ 2x);
- sign-in p50 and p95 during the storm (hashes queue: one at a time).

The accounts it makes (``@bench.example.com``) are deleted before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
import psycopg
from fastapi import APIRouter, FastAPI

from app.accounts.auth import OptionalSubjectDep
from app.main import create_app
from bench.dataset import ensure_database
from bench.server import run_service
from bench.stats import HttpConnection, Summary, markdown_table, ms
from bench.tiles import ACCEPT, ours, places
from config.settings import AuthSettings, Settings
from tiles.grid import tile_of

DOMAIN = "bench.example.com"
PASSWORD = "bench password: seven violet trams at dawn"
STORM_CLIENTS = 20
SIGN_INS = 40
ROUNDS = 20
PER_ROUND = 200
TILE_REQUESTS = 600
PREFIX = "bench-accounts:"
UNLIMITED = "1000000/1"


def probe_app() -> FastAPI:
    """The service as ``make run`` builds it, plus one endpoint that only authenticates."""
    app = create_app(Settings())
    router = APIRouter()

    @router.get("/bench/whoami")
    async def whoami(subject: OptionalSubjectDep) -> dict[str, bool]:
        return {"signed_in": subject is not None}

    app.include_router(router)
    return app


@dataclass
class Results:
    sign_in: Summary
    anonymous: Summary
    authenticated: Summary
    tiles_idle: Summary
    tiles_storm: Summary
    sign_in_storm: Summary
    storm_sign_ins: int


async def _register(http: httpx.AsyncClient, email: str) -> None:
    response = await http.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    if response.status_code != 202:
        raise RuntimeError(f"register {email}: {response.status_code} {response.text[:300]}")


async def _sign_in(http: httpx.AsyncClient, email: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"login {email}: {response.status_code} {response.text[:300]}")
    token: str = response.json()["access_token"]
    return elapsed, token


async def _gets(connection: HttpConnection, target: str, count: int, headers: Sequence[tuple[str, str]]) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        status, body = await connection.get(target, headers)
        latencies.append(time.perf_counter() - started)
        if status not in (200, 204):
            raise RuntimeError(f"{target}: HTTP {status} {body[:300]!r}")
    return latencies


async def measure(base: str, quick: bool) -> Results:
    emails = [f"storm{i}@{DOMAIN}" for i in range(STORM_CLIENTS)]
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        _log(f"registering {len(emails)} accounts")
        for email in emails:
            await _register(http, email)
        _log("sign-in, one at a time")
        sign_ins = []
        for i in range(SIGN_INS // (4 if quick else 1)):
            elapsed, token = await _sign_in(http, emails[i % len(emails)])
            sign_ins.append(elapsed)

    _log("authenticated GET overhead, alternating rounds")
    anonymous, authenticated = [], []
    connection = HttpConnection(base)
    auth = (("Authorization", f"Bearer {token}"),)
    try:
        await _gets(connection, "/bench/whoami", 50, auth)  # warm: the session is now cached
        for _ in range(ROUNDS // (4 if quick else 1)):
            anonymous += await _gets(connection, "/bench/whoami", PER_ROUND, ())
            authenticated += await _gets(connection, "/bench/whoami", PER_ROUND, auth)
    finally:
        await connection.close()

    dense = places()[0]
    target = ours(tile_of(dense.lat, dense.lon, 14))
    tile_headers = ACCEPT
    count = TILE_REQUESTS // (4 if quick else 1)
    connection = HttpConnection(base)
    try:
        await _gets(connection, target, 20, tile_headers)  # now a hit
        _log("tile hits, idle")
        idle = await _gets(connection, target, count, tile_headers)
        _log(f"tile hits while {STORM_CLIENTS} clients sign in")
        storm_times: list[float] = []
        stop = asyncio.Event()

        async def storm_client(email: str) -> None:
            async with httpx.AsyncClient(base_url=base, timeout=300) as http:
                while not stop.is_set():
                    elapsed, _ = await _sign_in(http, email)
                    storm_times.append(elapsed)

        clients = [asyncio.create_task(storm_client(email)) for email in emails]
        await asyncio.sleep(2.0)  # the storm is on: every client waits on a hash
        storm = await _gets(connection, target, count, tile_headers)
        stop.set()
        await asyncio.gather(*clients)
    finally:
        await connection.close()
    return Results(
        Summary.of(sign_ins),
        Summary.of(anonymous),
        Summary.of(authenticated),
        Summary.of(idle),
        Summary.of(storm),
        Summary.of(storm_times),
        len(storm_times),
    )


def report(r: Results, events: int) -> str:
    auth = AuthSettings()
    params = f"argon2id m={auth.argon2_memory_kib} KiB, t={auth.argon2_time_cost}, p={auth.argon2_parallelism}"
    overhead = r.authenticated.p50 - r.anonymous.p50
    ratio = r.tiles_storm.p95 / r.tiles_idle.p95
    rows = [
        ("sign-in, one at a time", r.sign_in.n, ms(r.sign_in.p50), ms(r.sign_in.p95), "—"),
        (f"sign-in during the storm ({STORM_CLIENTS} clients)", r.storm_sign_ins, ms(r.sign_in_storm.p50),
         ms(r.sign_in_storm.p95), "—"),
        ("GET /bench/whoami, anonymous", r.anonymous.n, ms(r.anonymous.p50), ms(r.anonymous.p95), "—"),
        ("GET /bench/whoami, bearer token", r.authenticated.n, ms(r.authenticated.p50), ms(r.authenticated.p95),
         f"{overhead * 1000:.3f} ms over anonymous (p50; target ≤ 0.3)"),
        ("z14 tile hit, idle", r.tiles_idle.n, ms(r.tiles_idle.p50), ms(r.tiles_idle.p95), "—"),
        (f"z14 tile hit, {STORM_CLIENTS} clients signing in", r.tiles_storm.n, ms(r.tiles_storm.p50),
         ms(r.tiles_storm.p95), f"{ratio:.2f}x idle p95 (target ≤ 2x)"),
    ]  # fmt: skip
    table = markdown_table(("what", "n", "p50 ms", "p95 ms", "note"), rows)
    return (
        f"### Accounts ({params}, {auth.hash_concurrency} hash at a time; database of {events:,} events)\n\n{table}"
    )


def run(sizes: Sequence[int], seed: int = 42, *, quick: bool = False) -> str:
    events = min(sizes)
    url = ensure_database(events, seed)
    _forget_bench_accounts(url)
    env = {
        "HAPPENINGS_LOG_LEVEL": "WARNING",
        "HAPPENINGS_REDIS__KEY_PREFIX": PREFIX,
        **{f"HAPPENINGS_AUTH__{name}": UNLIMITED for name in ("LOGIN_IP_LIMIT", "LOGIN_ACCOUNT_LIMIT",
                                                                 "REGISTER_IP_LIMIT", "REGISTER_ACCOUNT_LIMIT")},
    }  # fmt: skip
    try:
        with run_service(url, env=env, factory="bench.accounts:probe_app") as base:
            section = report(asyncio.run(measure(base, quick)), events)
    finally:
        _forget_bench_accounts(url)
    print(section, flush=True)
    return section


def _forget_bench_accounts(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM mail_outbox WHERE to_address LIKE %s", (f"%@{DOMAIN}",))
        conn.execute("DELETE FROM accounts WHERE email LIKE %s", (f"%@{DOMAIN}",))


def _log(message: str) -> None:
    print(f"[bench accounts] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.accounts", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--events", type=int, default=100_000, help="events in the benchmark database")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    run([args.events], args.seed, quick=args.quick)


if __name__ == "__main__":
    main()
