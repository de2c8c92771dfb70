"""Benchmark databases: ``happenings_bench_{events}``, migrated to head and seeded, cached between runs.

``ensure_database(events)`` returns the URL of a database holding exactly ``events`` events
made by the seed CLI's loader. A marker (a JSON comment on the database) records what was
built: the event count, the seed, the reference date the events are spread around, and a
digest of every migration file applied. The next run reuses the database when the marker
still matches; runs the new migrations forward when only new ones were added (a migration
must work on a populated table anyway); and rebuilds it when the count, the seed or an
applied migration changed, or when its events have drifted into the past.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from app.migrations_state import expected_heads, upgrade

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "migrations" / "versions"
# The seed spreads events from a week before its reference date to three months after;
# past this age too many of them have ended for the "upcoming" scenarios to mean much.
MAX_AGE_DAYS = 7
MARKER_KIND = "happenings-bench"


def server_url() -> str:
    """The PostgreSQL server (``DATABASE_URL`` without its database name, or the local default)."""
    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    return base.replace("postgresql+psycopg://", "postgresql://", 1).rsplit("/", 1)[0]


def database_name(events: int, seed: int = 42) -> str:
    return f"happenings_bench_{events}" if seed == 42 else f"happenings_bench_{events}_s{seed}"


def ensure_database(events: int, seed: int = 42, *, name: str | None = None) -> str:
    """The URL of a migrated database holding exactly ``events`` seeded events (built if needed);
    ``name`` gives a benchmark that writes its own tables a database of its own."""
    name = name or database_name(events, seed)
    url = f"{server_url()}/{name}"
    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as admin:
        # Two benchmarks started at once must not build the same database twice.
        admin.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"{MARKER_KIND}:{name}",))
        marker = _read_marker(admin, name)
        action = _decide(marker, events, seed)
        if action == "upgrade":
            _log(f"{name}: new migrations, upgrading in place")
            try:
                upgrade(_sqlalchemy(url))
            except Exception as exc:  # a migration that cannot run forward here: start over
                _log(f"{name}: upgrade failed ({exc}); rebuilding")
                action = "rebuild"
            else:
                # What a migration wrote is visible to index-only scans only once vacuumed (the
                # seed vacuums what it loads); pages already all-visible are skipped.
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("VACUUM")
                marker = {**(marker or {}), "migrations": migration_digests()}
                _write_marker(admin, name, marker)
        if action == "rebuild":
            _build(admin, name, url, events, seed)
        _check_count(url, events)
    return url


def reference_date(url: str) -> date:
    """The reference date the benchmark database at ``url`` was seeded with (its marker's)."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as admin:
        marker = _read_marker(admin, name)
    if marker is None:
        raise RuntimeError(f"{name} has no benchmark marker: build it with ensure_database first")
    return date.fromisoformat(marker["reference_date"])


def migration_digests() -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:16] for path in sorted(VERSIONS.glob("*.py"))}


def _decide(marker: dict[str, Any] | None, events: int, seed: int) -> str:
    if not marker or marker.get("kind") != MARKER_KIND:
        return "rebuild"
    if marker.get("events") != events or marker.get("seed") != seed:
        return "rebuild"
    if (date.today() - date.fromisoformat(marker["reference_date"])).days > MAX_AGE_DAYS:
        return "rebuild"
    built: dict[str, str] = marker.get("migrations", {})
    current = migration_digests()
    if any(current.get(file) != digest for file, digest in built.items()):
        return "rebuild"  # an applied migration was edited or removed
    return "upgrade" if set(current) - set(built) or set(marker.get("heads", [])) != expected_heads() else "ok"


def _build(admin: psycopg.Connection[Any], name: str, url: str, events: int, seed: int) -> None:
    from app.seed.loader import seed_database  # the seed CLI's loader (imported late: heavy)

    started = time.monotonic()
    reference_date = date.today()
    _log(f"{name}: building ({events:,} events, seed {seed}); cached for later runs")
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    # Read before migrating: a migration added during a long build must count as not applied.
    heads, migrations = sorted(expected_heads()), migration_digests()
    upgrade(_sqlalchemy(url))
    seed_database(url, events, seed, reference_date=reference_date, progress=sys.stderr.isatty())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) events, venues, organizers")
    marker = {
        "kind": MARKER_KIND,
        "events": events,
        "seed": seed,
        "reference_date": reference_date.isoformat(),
        "heads": heads,
        "migrations": migrations,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write_marker(admin, name, marker)
    _log(f"{name}: built in {time.monotonic() - started:.0f} s")


def _check_count(url: str, events: int) -> None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM events").fetchone()
    count = row[0] if row else 0
    if count != events:
        raise RuntimeError(f"{url} holds {count} events, expected {events}: drop it and run again")


def _read_marker(admin: psycopg.Connection[Any], name: str) -> dict[str, Any] | None:
    row = admin.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
    ).fetchone()
    if row is None or not row[0]:
        return None
    try:
        marker: dict[str, Any] = json.loads(row[0])
    except json.JSONDecodeError:
        return None
    return marker


def _write_marker(admin: psycopg.Connection[Any], name: str, marker: dict[str, Any]) -> None:
    marker = {**marker, "heads": sorted(expected_heads())}
    admin.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(json.dumps(marker)))
    )


def _sqlalchemy(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)
