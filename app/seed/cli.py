"""``python -m app.seed``: fill the database with realistic demo or benchmark events."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime

import psycopg

from app.seed.loader import SeedError, seed_database
from config.settings import Settings

DEFAULT_EVENTS = 50_000
DEFAULT_SEED = 42


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, validated."""
    parser = argparse.ArgumentParser(prog="python -m app.seed", description=__doc__)
    parser.add_argument("--events", type=_non_negative, default=DEFAULT_EVENTS, help="how many events")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed: same seed, same rows")
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--reference-date",
        type=date.fromisoformat,
        default=None,
        help="YYYY-MM-DD that event dates are spread around (default: today)",
    )
    when.add_argument(
        "--anchor",
        type=_instant,
        default=None,
        help="ISO 8601 instant with its offset (e.g. 2026-03-04T12:00:00Z) that the data is made around: "
        "its UTC date is the reference date. Tests pin it and the browser's clock to the same instant.",
    )
    parser.add_argument("--database-url", help="libpq URL (default: the service settings, i.e. DATABASE_URL)")
    empty = parser.add_mutually_exclusive_group()
    empty.add_argument("--if-empty", action="store_true", help="do nothing if events already exist")
    empty.add_argument("--truncate", action="store_true", help="empty organizers, venues and events first")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--workers", type=_non_negative, default=None, help="generator processes (0: none)")
    return parser.parse_args(argv)


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be an ISO 8601 instant, e.g. 2026-03-04T12:00:00Z") from exc
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("must carry its UTC offset (Z or +hh:mm)")
    return moment


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the seed; prints one summary line and returns the exit status."""
    args = parse_args(argv)
    url = args.database_url or Settings().database.url
    reference_date = args.anchor.astimezone(UTC).date() if args.anchor else args.reference_date
    try:
        report = seed_database(
            url,
            args.events,
            args.seed,
            reference_date,
            progress=not args.no_progress and sys.stderr.isatty(),
            if_empty=args.if_empty,
            truncate=args.truncate,
            workers=args.workers,
        )
    except (SeedError, psycopg.Error) as error:
        print(f"seed failed: {error}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0
