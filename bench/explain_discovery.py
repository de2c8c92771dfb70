"""Where a discovery scenario's time goes: planning, execution and buffers of its SQL, warm.

    python -m bench.explain_discovery --events 1000000 --scenario nearby [--samples 60]

Runs the benchmark's own seeded workload (``bench.discovery.Workload``) against the cached
``happenings_bench_{N}`` database through ``EXPLAIN (ANALYZE, BUFFERS)``, each statement twice
(the second, warm run counts), on a connection set up like the service's read connections, and
prints medians. Use it to tell a plan that does more work (buffers) from a slower machine.
"""

from __future__ import annotations

import argparse
import statistics
from datetime import UTC, datetime
from typing import Any

import psycopg

from app.db import API_SESSION, session_options
from app.events import queries
from app.events.discovery import first_fetch
from app.events.paging import first_page
from bench.dataset import database_name, server_url
from bench.discovery import Workload

SCENARIOS = ("city", "region", "nearby", "text", "walk")


def explain(url: str, scenario: str, samples: int, seed: int = 7) -> list[tuple[float, float, int]]:
    """``(planning ms, execution ms, shared buffers)`` per sampled request of ``scenario``."""
    workload = Workload(seed, datetime.now(UTC))
    found = []
    with psycopg.connect(url, autocommit=True, options=session_options(60_000, "bench-explain", API_SESSION)) as conn:
        for _ in range(samples):
            call = getattr(workload, scenario)()
            fetch = first_fetch(call.criteria, call.limit)
            statement = queries.list_statement(call.criteria, first_page(), fetch)
            for _ in range(2):
                row = conn.execute(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement.sql, statement.params, prepare=False
                ).fetchone()
            assert row is not None
            plan: dict[str, Any] = row[0][0]
            top = plan["Plan"]
            buffers = top["Shared Hit Blocks"] + top["Shared Read Blocks"]
            found.append((plan["Planning Time"], plan["Execution Time"], buffers))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.explain_discovery", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--scenario", choices=SCENARIOS, required=True)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    found = explain(f"{server_url()}/{database_name(args.events)}", args.scenario, args.samples)
    planning, execution, buffers = zip(*found, strict=True)
    print(
        f"{args.scenario} at {args.events:,} events, {len(found)} samples: "
        f"planning p50 {statistics.median(planning):.2f} ms, "
        f"execution p50 {statistics.median(execution):.2f} ms (max {max(execution):.2f}), "
        f"buffers p50 {statistics.median(buffers):.0f} (max {max(buffers)})"
    )


if __name__ == "__main__":
    main()
