"""Recommendations benchmark: the offline evaluation (quality against two baselines over 3 seeds),
training time, and for-you latency over HTTP with a trained model.

    python -m bench --only recommendations [--sizes 1000000] [--seed 42]
    python -m bench.recommendations [--events N] [--people P] [--quality-only] [--perf-only]
                                    [--rounds R] [--fresh] [--no-train]

**Quality** (``bench.recsim`` + ``bench.receval``, docs/recommendations-evaluation.md): a simulated
population, the last 20% of each person's RSVPs held out by time; P@10, NDCG@10, recall@50,
catalogue coverage and the share within the person's (hidden) usual radius, for popularity near the
person, nearest first, and ours; mean and 95% interval (t, 2 degrees of freedom) over 3 seeds.

**Latency**: on a database of its own holding the seeded events of the largest size asked for
(``happenings_bench_rec_N``, the seed's bulk loader), ``--people`` synthetic people (100k by default)
with ~20 signals each around the seeded events, a model trained by the same code as
``python -m app.recommendations train`` (timed), then one uvicorn worker: p50/p95 of
``GET /api/v1/me/recommendations`` for signed-in people, ``GET /api/v1/recommendations``
(anonymous) and ``GET /api/v1/events/{id}/similar``, one request in flight, model cached, over
``--rounds`` rounds (medians of the rounds' figures: the machine may be shared), and the CPU a
for-you request costs the service and its database sessions. The people it makes
(``@recbench.example.com``) and the trained model stay for the next run; a different ``--people``
or ``--fresh`` makes them again, ``--no-train`` measures with whatever model is stored.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import os
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import psycopg
from psycopg.rows import dict_row

from bench.dataset import ensure_database
from bench.receval import METHODS, evaluate
from bench.recsim import simulate
from bench.server import run_service
from bench.stats import HttpConnection, markdown_table, ms, percentile
from config.settings import RecommendationSettings

DOMAIN = "recbench.example.com"
PASSWORD = "bench password: seven violet trams at dawn"
SEEDS = 3
T_95_2DOF = 4.303
SIGNED_IN = 20
REQUESTS = 100  # per round and kind of request
ROUNDS = 5
WARM_UP = 20
UNLIMITED = "1000000/1"
KINDS = ("view",) * 10 + ("save",) * 4 + ("rsvp",) * 4 + ("purchase", "share")


# ---------------------------------------------------------------- quality


def quality(seed: int, people: int = 2000) -> str:
    per_seed: dict[str, dict[str, list[float]]] = {m: defaultdict(list) for m in METHODS}
    train_s: list[float] = []
    size = ""
    for s in range(seed, seed + SEEDS):
        started = time.perf_counter()
        world = simulate(s, people=people)
        table, info = evaluate(world, s)
        train_s.append(info["train_s"])
        size = (
            f"{len(world.people):,} people, {len(world.events):,} events, "
            f"~{int(info['interactions']):,} training signals"
        )
        for method, metrics in table.items():
            for name, value in metrics.items():
                per_seed[method][name].append(value)
        _log(f"seed {s}: {time.perf_counter() - started:.0f} s; ours NDCG@10 {table['ours']['ndcg@10']:.4f}")
    names = ["p@10", "ndcg@10", "recall@50", "coverage", "within_radius"]
    rows = [[method, *[_ci(per_seed[method][n]) for n in names]] for method in METHODS]
    best = max(np.mean(per_seed["popularity"]["ndcg@10"]), np.mean(per_seed["nearest"]["ndcg@10"]))
    ratio = np.mean(per_seed["ours"]["ndcg@10"]) / best if best else math.inf
    coverage_ok = np.mean(per_seed["ours"]["coverage"]) >= np.mean(per_seed["popularity"]["coverage"])
    return (
        f"### Offline evaluation ({size} per seed; {SEEDS} seeds)\n\n"
        + markdown_table(["ranker", "P@10", "NDCG@10", "recall@50", "coverage", "within usual radius"], rows)
        + f"\n\nNDCG@10 of ours / the better baseline: **{ratio:.2f}x** (target 1.5x); coverage "
        + ("no worse than popularity" if coverage_ok else "BELOW popularity")
        + f". Training (in the evaluation): median {np.median(train_s):.1f} s.\n"
    )


def _ci(values: list[float]) -> str:
    mean = float(np.mean(values))
    half = T_95_2DOF * float(np.std(values, ddof=1)) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return f"{mean:.4f} ± {half:.4f}"


# ---------------------------------------------------------------- latency


def latency(
    events: int, people: int, seed: int, *, rounds: int = ROUNDS, fresh: bool = False, train: bool = True
) -> str:
    # A database of its own: this benchmark adds people and signals, and needs its own migrations.
    # The population and its trained model stay there for the next run (``fresh`` remakes both).
    url = ensure_database(events, seed, name=f"happenings_bench_rec_{events}")
    made = _population_size(url)
    if fresh or made != people:
        _forget(url)
        started = time.perf_counter()
        _population(url, people, seed)
        _log(f"{people:,} people and their signals in {time.perf_counter() - started:.0f} s")
    else:
        _log(f"reusing the {people:,} people already there")
    trained = None if fresh or made != people else _trained(url)
    if trained is None and train:
        trained = _train(url)
        _log(f"trained in {trained[0]:.1f} s: {trained[1]}")
    training = (
        f"Training (`python -m app.recommendations train`'s code on this population): **{trained[0]:.1f} s** "
        f"({trained[1]})."
        if trained
        else "Not trained (`--no-train`): served with the hand-set prior blend."
    )
    env = {
        "HAPPENINGS_LOG_LEVEL": "WARNING",
        "HAPPENINGS_REDIS__KEY_PREFIX": "bench-recommendations:",
        "HAPPENINGS_RECOMMENDATIONS__MODEL_POLL_S": "0.5",
        **{f"HAPPENINGS_AUTH__{name}": UNLIMITED for name in ("LOGIN_IP_LIMIT", "LOGIN_ACCOUNT_LIMIT",
                                                                 "REGISTER_IP_LIMIT", "REGISTER_ACCOUNT_LIMIT")},
    }  # fmt: skip
    load_before = os.getloadavg()
    with run_service(url, env=env) as base:
        per_round = asyncio.run(_measure(base, url, seed, rounds))
    load_after = os.getloadavg()
    cpu = {name: statistics.median(r[name][0] for r in per_round) for name in ("cpu: service", "cpu: database")}
    rows = []
    for name in [name for name in per_round[0] if not name.startswith("cpu")]:
        p50s = [percentile(r[name], 50) for r in per_round]
        p95s = [percentile(r[name], 95) for r in per_round]
        rows.append([
            name, f"{sum(len(r[name]) for r in per_round):,}", ms(statistics.median(p50s)),
            ms(statistics.median(p95s)), f"{ms(min(p95s))} to {ms(max(p95s))}",
        ])  # fmt: skip
    return (
        f"### Latency over HTTP ({events:,} events, {people:,} people, model cached)\n\n"
        f"{training}\n\n"
        f"{rounds} rounds of {REQUESTS} requests of each kind, one in flight; p50 and p95 are the medians of "
        f"the rounds' figures. Load average {load_before[0]:.1f} before, {load_after[0]:.1f} after.\n\n"
        + markdown_table(["request", "n", "p50", "p95", "p95 range over rounds"], rows)
        + f"\n\nCPU per for-you request (median over rounds, from /proc): service {ms(cpu['cpu: service'])} ms, "
        f"database sessions {ms(cpu['cpu: database'])} ms.\n"
    )


def _cpu_s(base: str, url: str) -> tuple[float, float]:
    """CPU seconds used so far by the service's process and by its database sessions (from /proc:
    on a machine shared with other work, the CPU a request costs is steadier than its wall time)."""
    port = base.rsplit(":", 1)[1]
    tick = os.sysconf("SC_CLK_TCK")

    def used(pid: int) -> float:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick

    service = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = open(f"/proc/{entry}/cmdline", "rb").read().split(b"\0")  # noqa: SIM115
            except OSError:
                continue
            if b"uvicorn" in command and port.encode() in command:
                service += used(int(entry))
    with psycopg.connect(url) as conn:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name LIKE 'happenings%%'"
        ).fetchall()
    return service, sum(used(pid) for (pid,) in pids)


def _population_size(url: str) -> int:
    """How many synthetic people the database holds (the signed-in stand-ins included)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM accounts WHERE email LIKE %s AND email NOT LIKE %s", (f"%@{DOMAIN}", "signed%")
        ).fetchone()
    return int(row[0]) if row else 0


def _population(url: str, people: int, seed: int) -> None:
    """``people`` accounts with ~20 signals each: a home area (the cell of a random seeded event),
    a favourite category and two favourite organizers there."""
    rng = random.Random(seed)
    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT cell, id, organizer_id, category, ST_Y(geom) AS lat, ST_X(geom) AS lon FROM events "
            "TABLESAMPLE SYSTEM (20) REPEATABLE (%s) WHERE status = 'published' LIMIT 300000",
            (seed,),
        ).fetchall()
    by_cell: dict[int, list[dict[str, Any]]] = defaultdict(list)
    by_category: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    by_organizer: dict[tuple[int, Any], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_cell[row["cell"]].append(row)
        by_category[(row["cell"], row["category"])].append(row)
        by_organizer[(row["cell"], row["organizer_id"])].append(row)
    now = datetime.now(UTC)
    accounts = io.StringIO()
    signals = io.StringIO()
    for i in range(people):
        anchor = rng.choice(rows)
        cell = anchor["cell"]
        pool = by_cell[cell]
        category = rng.choice(pool)["category"]
        favourites = {rng.choice(pool)["organizer_id"] for _ in range(2)}
        # What they like: the area's events of their category or of their organizers (indexed, not
        # filtered per person: a city's cell holds tens of thousands of events at 1M).
        of_category = by_category[(cell, category)]
        of_organizers = [
            e for o in sorted(favourites, key=str) for e in by_organizer[(cell, o)] if e["category"] != category
        ]
        liked = len(of_category) + len(of_organizers)
        account = uuid.uuid4()
        accounts.write(f"{account}\tp{i}@{DOMAIN}\n")
        for _ in range(20):
            if rng.random() < 0.7:
                k = rng.randrange(liked)
                event = of_category[k] if k < len(of_category) else of_organizers[k - len(of_category)]
            else:
                event = rng.choice(pool)
            at = now - timedelta(seconds=rng.uniform(0, 120 * 86400))
            signals.write(f"{account}\t{event['cell']}\t{event['id']}\t{event['organizer_id']}\t{event['category']}\t"
                          f"{rng.choice(KINDS)}\t{at.isoformat()}\n")  # fmt: skip
    with psycopg.connect(url) as conn:
        with conn.cursor().copy("COPY accounts (id, email) FROM STDIN") as copy:
            copy.write(accounts.getvalue())
        with conn.cursor().copy(
            "COPY interactions (account_id, cell, event_id, organizer_id, category, kind, occurred_at) FROM STDIN"
        ) as copy:
            copy.write(signals.getvalue())
        conn.execute("ANALYZE interactions")


def _train(url: str) -> tuple[float, str]:
    """Train as ``python -m app.recommendations train`` does; the time and a description are kept
    in the stored model's summary for later runs."""
    from app.recommendations.training import train_and_store

    async def go() -> tuple[float, str]:
        async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn, conn.transaction():
            started = time.perf_counter()
            version, model, seconds = await train_and_store(conn, datetime.now(UTC), RecommendationSettings())
            total = time.perf_counter() - started
            s = model.summary
            described = (
                f"version {version}: {s['interactions']:,} signals, {s['people']:,} people, "
                f"{s['entities']:,} entities, {s['examples']:,} ranker examples; fit {seconds:.1f} s"
            )
            await conn.execute(
                "UPDATE recommendation_models SET summary = summary || %s::jsonb WHERE version = %s",
                (json.dumps({"bench_train_s": total, "bench_described": described}), version),
            )
            return total, described

    return asyncio.run(go())


def _trained(url: str) -> tuple[float, str] | None:
    """The training time and description of the model a previous run trained, if it is there."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT summary FROM recommendation_models WHERE summary ? 'bench_train_s' ORDER BY version DESC LIMIT 1"
        ).fetchone()
    if row is None:
        return None
    return float(row["summary"]["bench_train_s"]), f"{row['summary']['bench_described']}; trained by an earlier run"


async def _measure(base: str, url: str, seed: int, rounds: int) -> list[dict[str, list[float]]]:
    rng = random.Random(seed)
    tokens = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        with psycopg.connect(url) as conn:
            known = {r[0] for r in conn.execute("SELECT email FROM accounts WHERE email LIKE 'signed%%'").fetchall()}
        for i in range(SIGNED_IN):
            email = f"signed{i}@{DOMAIN}"
            if email not in known:
                registered = await http.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
                assert registered.status_code == 202, registered.text
            response = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            assert response.status_code == 200, response.text
            tokens.append((response.json()["access_token"], email))
        with psycopg.connect(url, autocommit=True) as conn:
            # Each signed-in person takes over the signals of one synthetic person (and their area).
            for i, (_token, email) in enumerate(tokens):
                conn.execute(
                    "UPDATE interactions SET account_id = (SELECT id FROM accounts WHERE email = %s) "
                    "WHERE account_id = (SELECT id FROM accounts WHERE email = %s)",
                    (email, f"p{i}@{DOMAIN}"),
                )
            # ... and asks from the middle of their area (the median of the events they acted on).
            anchors = []
            for _token, email in tokens:
                row = conn.execute(
                    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Y(e.geom)), "
                    "percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_X(e.geom)) FROM interactions i "
                    "JOIN events e ON e.cell = i.cell AND e.id = i.event_id "
                    "WHERE i.account_id = (SELECT id FROM accounts WHERE email = %s)",
                    (email,),
                ).fetchone()
                assert row is not None and row[0] is not None, email
                anchors.append((float(row[0]), float(row[1])))
            sample = (
                "SELECT id, ST_Y(geom), ST_X(geom) FROM events TABLESAMPLE SYSTEM (1) REPEATABLE (%s) "
                "WHERE status = 'published' LIMIT 200"
            )
            events = conn.execute(sample, (seed,)).fetchall()
        for _ in range(40):  # the API loads the trained model in the background
            version = await http.get("/api/v1/recommendations", params={"lat": anchors[0][0], "lon": anchors[0][1]})
            if version.json().get("model_version", 0) > 0:
                break
            await asyncio.sleep(0.5)
    connection = HttpConnection(base)
    per_round = []
    try:
        for n in range(WARM_UP):
            token, _ = tokens[n % len(tokens)]
            lat, lon = anchors[n % len(tokens)]
            await _get(connection, f"/api/v1/me/recommendations?lat={lat}&lon={lon}&limit=10",
                       [("Authorization", f"Bearer {token}")])  # fmt: skip
        for _ in range(rounds):
            figures: dict[str, list[float]] = {
                "for you (signed in)": [],
                "popular near here (anonymous)": [],
                "similar events": [],
            }
            # For you first, on its own: the CPU the service and its database sessions spend on it.
            used = _cpu_s(base, url)
            for n in range(REQUESTS):
                token, _ = tokens[n % len(tokens)]
                lat, lon = anchors[n % len(tokens)]
                figures["for you (signed in)"].append(
                    await _get(connection, f"/api/v1/me/recommendations?lat={lat}&lon={lon}&limit=10",
                               [("Authorization", f"Bearer {token}")]))  # fmt: skip
            after = _cpu_s(base, url)
            figures["cpu: service"] = [(after[0] - used[0]) / REQUESTS]
            figures["cpu: database"] = [(after[1] - used[1]) / REQUESTS]
            for n in range(REQUESTS):
                _, lat, lon = events[rng.randrange(len(events))]
                figures["popular near here (anonymous)"].append(
                    await _get(connection, f"/api/v1/recommendations?lat={lat}&lon={lon}&limit=10", [])
                )
                figures["similar events"].append(
                    await _get(
                        connection, f"/api/v1/events/{events[n % len(events)][0]}/similar?limit=10", [], ok=(200, 404)
                    )
                )
            per_round.append(figures)
            _log("round: for you p50 {} p95 {} ms".format(*(ms(percentile(figures["for you (signed in)"], p))
                                                           for p in (50, 95))))  # fmt: skip
    finally:
        await connection.close()
    return per_round


async def _get(
    connection: HttpConnection, target: str, headers: list[tuple[str, str]], ok: tuple[int, ...] = (200,)
) -> float:
    started = time.perf_counter()
    status, body = await connection.get(target, headers)
    elapsed = time.perf_counter() - started
    if status not in ok:
        raise RuntimeError(f"{target}: HTTP {status} {body[:300]!r}")
    return elapsed


def _forget(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM mail_outbox WHERE to_address LIKE %s", (f"%@{DOMAIN}",))
        conn.execute("DELETE FROM accounts WHERE email LIKE %s", (f"%@{DOMAIN}",))
        conn.execute("DELETE FROM recommendation_models")


# ---------------------------------------------------------------- entry points


def run(
    sizes: Sequence[int],
    seed: int = 42,
    *,
    people: int = 100_000,
    parts: Sequence[str] = ("quality", "latency"),
    rounds: int = ROUNDS,
    fresh: bool = False,
    train: bool = True,
) -> str:
    sections = []
    if "quality" in parts:
        sections.append(quality(seed))
        print(sections[-1], flush=True)
    if "latency" in parts:
        sections.append(latency(max(sizes), people, seed, rounds=rounds, fresh=fresh, train=train))
        print(sections[-1], flush=True)
    return "\n".join(sections)


def _log(message: str) -> None:
    print(f"[bench recommendations] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.recommendations")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--perf-only", action="store_true")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="latency rounds (medians over them)")
    parser.add_argument("--fresh", action="store_true", help="remake the population and retrain")
    parser.add_argument("--no-train", action="store_true", help="measure with the stored model (or the prior)")
    args = parser.parse_args(argv)
    parts = ("quality",) if args.quality_only else ("latency",) if args.perf_only else ("quality", "latency")
    run([args.events], args.seed, people=args.people, parts=parts, rounds=args.rounds, fresh=args.fresh,
        train=not args.no_train)  # fmt: skip


if __name__ == "__main__":
    main()
