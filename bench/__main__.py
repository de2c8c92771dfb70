"""``python -m bench`` (``make bench``): build the cached datasets, run the benchmarks, print markdown.

    python -m bench [--sizes 100000,1000000] [--events N] [--only NAME] [--seed 42]   (NAME: BENCHMARKS below)

``--events N`` is ``--sizes N``. Each benchmark module exposes ``run(sizes, seed) -> str``
(markdown, also printed as it goes): ``bench.discovery`` here, ``bench.tiles`` and ``bench.accounts`` when present.
The report starts with this machine's round trips, hot and after idleness (``bench.machine``).
Datasets come from ``bench.dataset.ensure_database`` and are reused between runs.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time
from collections.abc import Sequence

from bench.dataset import server_url
from bench.machine import round_trips

DEFAULT_SIZES = (100_000, 1_000_000)
BENCHMARKS = (
    "discovery", "tiles", "accounts", "publishing", "venues", "series", "ticketing", "payments", "notifications",
    "recommendations", "citus",
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", help="comma-separated event counts (default: 100000,1000000)")
    parser.add_argument("--events", type=int, help="a single event count (same as --sizes N)")
    parser.add_argument("--only", choices=BENCHMARKS, help="run one benchmark")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.sizes:
        args.sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    elif args.events:
        args.sizes = [args.events]
    else:
        args.sizes = list(DEFAULT_SIZES)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    print(f"{round_trips(f'{server_url()}/postgres')}\n", flush=True)  # see bench.machine
    for name in BENCHMARKS if args.only is None else (args.only,):
        if importlib.util.find_spec(f"bench.{name}") is None:
            print(f"(bench.{name} is not there yet: skipped)", file=sys.stderr)
            continue
        print(f"## {name} (sizes: {', '.join(f'{s:,}' for s in args.sizes)})\n", flush=True)
        importlib.import_module(f"bench.{name}").run(args.sizes, args.seed)
    print(f"(benchmarks took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
