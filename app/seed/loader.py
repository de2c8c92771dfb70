"""Loading generated data into PostgreSQL with COPY, fast enough for a million events.

An advisory lock keeps to one seeder per database. A small load (or one into tables that hold
rows) is one transaction: optional truncate, then COPY of organizers, venues and events.
A big load into empty tables first commits the dropping of their secondary indexes and foreign
keys (see ``bulk``), COPYs events over one connection per CPU, commits, then — also when the
load failed — adds the keys back, writes the text-search postings a partition per connection and
rebuilds the indexes. Either way the data derived from events (ADR-9) is counted from the loaded
rows at the end, never per COPY. Finally the tables are analysed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from tqdm import tqdm

from app.events import derived
from app.seed import bulk
from app.seed.copying import copy_event_chunks, copy_text
from app.seed.copytext import ORGANIZER_COLUMNS, VENUE_COLUMNS, organizer_lines, venue_lines
from app.seed.generator import World, build_world, chunk_count
from app.seed.producer import EncodedChunk, encoded_chunks

Connection = psycopg.Connection[TupleRow]

# Below this many events, dropping and rebuilding indexes costs more than it saves.
BULK_MIN_EVENTS = 100_000
# Below this many chunks, worker processes cost more to start than they save.
POOL_MIN_CHUNKS = 4
# Connections that COPY (big loads) and build indexes at the same time.
MAX_CONNECTIONS = 4
# Tables whose indexes and foreign keys a bulk load defers, when they start empty.
DEFERRABLE_TABLES = ("venues", "events", "event_terms")
SEED_LOCK = "happenings.seed"
# The postings and tile rollups counted again from every event; the rollup's horizon starts at the
# clock and the API moves it ahead (tiles.rollup).
DERIVED_REBUILD = "SELECT events_derived_rebuild(now())"
ROLLUP_REBUILD = "SELECT tile_rollup_rebuild(now())"


class SeedError(Exception):
    """The seed could not run, or left work for an operator (the message says what)."""


@dataclass(slots=True)
class SeedReport:
    """What a seed run did and where its time went."""

    events: int = 0
    organizers: int = 0
    venues: int = 0
    skipped: bool = False
    seconds: float = 0.0
    # Wall-clock seconds per phase, and CPU seconds the producers spent generating events.
    phases: dict[str, float] = field(default_factory=dict)
    generate_cpu_seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line for the terminal."""
        if self.skipped:
            return "seed skipped: the events table already holds rows (--if-empty)"
        phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phases.items())
        return (
            f"seeded {self.events} events ({self.organizers} organizers, {self.venues} venues) in "
            f"{self.seconds:.2f} s, {self.rows_per_second:,.0f} events/s "
            f"[{phases}; generation {self.generate_cpu_seconds:.1f} s CPU]"
        )


@dataclass(frozen=True, slots=True)
class SeedOptions:
    """How to seed; see ``seed_database``."""

    events: int
    seed: int
    reference_date: date
    progress: bool = False
    if_empty: bool = False
    truncate: bool = False
    workers: int | None = None
    connections: int | None = None


def seed_database(
    url: str,
    events: int,
    seed: int,
    reference_date: date | None = None,
    progress: bool = False,
    *,
    if_empty: bool = False,
    truncate: bool = False,
    workers: int | None = None,
    connections: int | None = None,
) -> SeedReport:
    """Generate ``events`` events (and their organizers and venues) from ``seed`` and load them.

    ``reference_date`` (default: today) anchors event dates: the same seed, count and date give
    the same rows. ``if_empty`` skips the run when events exist; ``truncate`` empties organizers,
    venues and events (and, by cascade, rows that reference them) first. ``workers`` is the
    number of generator processes (default: one per CPU; 0 generates in this process);
    ``connections`` the number of sessions a big load COPYs and builds indexes on (default: one
    per CPU, at most four).
    """
    if events < 0:
        raise ValueError("events must be >= 0")
    day = reference_date or date.today()
    options = SeedOptions(events, seed, day, progress, if_empty, truncate, workers, connections)
    return _Seeder(url, options).run()


class _Seeder:
    def __init__(self, url: str, options: SeedOptions) -> None:
        self.url = url
        self.options = options
        self.report = SeedReport()
        self._started = time.perf_counter()

    @contextlib.contextmanager
    def _phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.report.phases[name] = self.report.phases.get(name, 0.0) + time.perf_counter() - started

    def run(self) -> SeedReport:
        with psycopg.connect(self.url) as control:
            tune_session(control)
            _lock(control)
            if self.options.if_empty and _has_rows(control, "events"):
                self.report.skipped = True
                return self.report
            self._load(control)
        with self._phase("analyze"):
            self._analyze()
        self.report.seconds = time.perf_counter() - self._started
        return self.report

    def _analyze(self) -> None:
        """Statistics for the planner; a big load analyses the partitions in parallel.

        PostgreSQL 15 cannot analyse a partitioned parent without analysing every partition
        again, and autovacuum never analyses parents, so a big load leaves the parent's
        inherited statistics to a maintenance `ANALYZE events` (partition pruning and the
        per-partition row estimates need only the partitions' own statistics).
        """
        with psycopg.connect(self.url, autocommit=True) as conn:
            if self.options.events < BULK_MIN_EVENTS:
                conn.execute(
                    "ANALYZE organizers, venues, events, tile_rollup, tile_rollup_coarse, tile_rollup_fine, event_terms"
                )
                return
            rows = conn.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'events'::regclass")
            partitions = [row[0] for row in rows.fetchall()]
        # Vacuumed too: tiles read the rollup, searches the postings, from an index alone (visibility map).
        statements = [
            "VACUUM (ANALYZE) event_terms",
            "VACUUM (ANALYZE) tile_rollup",
            "VACUUM (ANALYZE) tile_rollup_coarse",
            "VACUUM (ANALYZE) tile_rollup_fine",
            "ANALYZE organizers",
            "ANALYZE venues",
            *(f"ANALYZE {name}" for name in partitions),
        ]
        bulk.run_in_parallel(self.url, statements, self._connections(), tune_session)

    def _load(self, control: Connection) -> None:
        with self._phase("world"):
            world = build_world(self.options.seed, self.options.events, self.options.reference_date)
        if self.options.truncate:
            control.execute("TRUNCATE organizers, venues, events CASCADE")
        deferred = self._defer(control)
        if not deferred:
            # A small load: truncate and COPY in one transaction, with indexes and keys in place.
            self._copy(control, world, extra_connections=0)
            with self._phase("derived data"):
                control.execute(DERIVED_REBUILD)
            control.commit()
            return
        # A big load: commit the dropped keys and indexes so that several connections can COPY
        # at once, and put them back whatever happens next.
        control.commit()
        try:
            self._copy(control, world, extra_connections=self._connections() - 1)
            control.commit()
        finally:
            control.rollback()
            self._restore(control, deferred)

    def _defer(self, conn: Connection) -> list[bulk.Deferred]:
        if self.options.events < BULK_MIN_EVENTS:
            return []
        return [bulk.defer(conn, table) for table in DEFERRABLE_TABLES if not _has_rows(conn, table)]

    def _copy(self, control: Connection, world: World, extra_connections: int) -> None:
        """COPY everything; commits the extra connections' work, leaves ``control``'s to the caller."""
        with self._phase("copy"), contextlib.ExitStack() as stack:
            extras = [stack.enter_context(psycopg.connect(self.url)) for _ in range(extra_connections)]
            for conn in extras:
                tune_session(conn)
            copy_text(control, "organizers", ORGANIZER_COLUMNS, organizer_lines(world.organizers))
            copy_text(control, "venues", VENUE_COLUMNS, venue_lines(world.venues))
            self.report.organizers, self.report.venues = len(world.organizers), len(world.venues)
            self._copy_events([control, *extras], world)
            for conn in extras:
                conn.commit()

    def _copy_events(self, connections: list[Connection], world: World) -> None:
        progress = self.options.progress
        bar = tqdm(total=world.events, unit="event", unit_scale=True, file=sys.stderr, disable=not progress)

        def sent(chunk: EncodedChunk) -> None:
            self.report.events += chunk.rows
            self.report.generate_cpu_seconds += chunk.seconds
            bar.update(chunk.rows)

        with bar, contextlib.closing(encoded_chunks(world, self._workers(world))) as chunks:
            copy_event_chunks(connections, chunks, sent)

    def _workers(self, world: World) -> int:
        if self.options.workers is not None:
            return self.options.workers
        return (os.cpu_count() or 1) if chunk_count(world.events) >= POOL_MIN_CHUNKS else 0

    def _connections(self) -> int:
        return self.options.connections or min(MAX_CONNECTIONS, os.cpu_count() or 1)

    def _restore(self, control: Connection, deferred: list[bulk.Deferred]) -> None:
        """Foreign keys back (validated), the postings written, indexes rebuilt over several
        connections, then the tile rollup counted and the locator filled."""
        try:
            with self._phase("foreign keys"), control.transaction():
                for table in deferred:
                    bulk.restore_foreign_keys(control, table)
            with self._phase("text search postings"):
                self._write_postings(control)
            with self._phase("indexes"):
                for table in deferred:
                    bulk.build_indexes(self.url, table, self._connections(), tune_session)
            with self._phase("tile rollup and locator"), control.transaction():
                control.execute(ROLLUP_REBUILD)
                for statement in derived.LOCATOR_REBUILD:
                    control.execute(statement)
        except (psycopg.Error, KeyboardInterrupt) as error:
            statements = ";\n".join(
                [statement for table in deferred for statement in table.statements()] + [DERIVED_REBUILD]
            )
            message = f"restoring keys and indexes failed ({error!r}); to finish by hand:\n{statements};"
            raise SeedError(message) from error

    def _write_postings(self, control: Connection) -> None:
        """Every event's postings, into an emptied ``event_terms``, a partition per connection."""
        with control.transaction():
            control.execute("TRUNCATE event_terms")
        rows = control.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'events'::regclass")
        statements = [derived.terms_of_table(row[0]) for row in rows.fetchall()]
        control.commit()
        bulk.run_in_parallel(self.url, statements, self._connections(), tune_session)


def tune_session(conn: Connection) -> None:
    """Session settings for bulk work: memory for sorts and hash joins, parallel index builds."""
    for statement in (
        "SET maintenance_work_mem = '1GB'",
        "SET work_mem = '256MB'",
        "SET max_parallel_maintenance_workers = 2",
        "SET statement_timeout = 0",
        # The data can be regenerated: a crash losing the last commit costs nothing.
        "SET synchronous_commit = off",
    ):
        conn.execute(statement)


def _lock(conn: Connection) -> None:
    # Session-level: a big load spans several transactions; closing the connection releases it.
    row = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (SEED_LOCK,)).fetchone()
    if row is None or not row[0]:
        raise SeedError("another seed run is in progress on this database")


def _has_rows(conn: Connection, table: str) -> bool:
    row = conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table))).fetchone()
    return bool(row and row[0])
