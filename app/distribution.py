"""`python -m app distribute`: turn a migrated database on a Citus coordinator into the distributed layout.

- **Reference tables** (a full copy on every node): the small shared tables that event-bound rows
  point at — categories, organizers, venues, accounts, series, geofences, import sources — and the
  event locator.
- **Distributed by `cell`, co-located with `events`**: every table whose key starts with the event's
  cell (`event_terms`, `event_places`, `saved_events`, `rsvps`, the ticketing tables,
  `geofence_cells`), so a query that carries its cells runs on one shard group, and the foreign keys
  `(cell, event_id) → events(cell, id)` hold shard by shard.
- **Everything else stays on the coordinator** (Citus turns the tables that reference a reference
  table into "Citus local tables" — sessions, tokens, the mail outbox, notices …), the change log
  and the tile rollups among them: the rollups are changed by functions (``tile_rollup_apply``),
  which write plain tables on the coordinator but could not plan their statements over reference
  tables.

The order is the one Citus needs without unsafe settings: foreign keys from the tables to be
distributed to the tables to be made reference tables are dropped first (their definitions kept),
the reference tables are created, then `events` is distributed with its hash partitions detached
(each partition is distributed beside it and attached again, one per transaction, so a populated
table never holds thousands of locks at once), then the co-located tables, then the dropped foreign
keys are put back. Each step looks at the catalog first, so running the command again does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from psycopg import sql

from app.errors import ConfigurationError

log = logging.getLogger("happenings.distribute")

# In foreign-key order: a table comes after every table it references.
REFERENCE_TABLES = (
    "categories", "accounts", "organizers", "venues", "event_series", "event_series_overrides",
    "geofences", "import_sources", "event_locator",
)  # fmt: skip

# In foreign-key order, each co-located with `events` on `cell`.
DISTRIBUTED_TABLES = (
    "events", "event_terms", "event_places", "saved_events", "rsvps", "ticket_tiers", "orders",
    "order_items", "tickets", "checkins", "payment_refunds", "geofence_cells",
)  # fmt: skip

DISTRIBUTION_COLUMN = "cell"

# Partitioned tables that stay plain local tables: Citus cannot turn a partitioned table with CHECK
# constraints into a Citus local table, which a foreign key to a reference table requires. Their rows
# are deleted by the application where the key would have cascaded (erase deletes `interactions`).
LOCAL_WITHOUT_FOREIGN_KEYS = frozenset({"interactions"})


@dataclass(frozen=True)
class ForeignKey:
    table: str
    name: str
    definition: str


@dataclass(frozen=True)
class Report:
    reference: list[str]
    distributed: list[str]
    shard_count: int

    def lines(self) -> list[str]:
        return [
            f"reference tables: {', '.join(self.reference) or '(none new)'}",
            f"distributed by cell: {', '.join(self.distributed) or '(none new)'}",
            f"shards per distributed table: {self.shard_count}",
        ]


def distribute(url: str, shard_count: int) -> Report:
    """Bring the database at `url` (a Citus coordinator with its workers added) to the layout above."""
    with psycopg.connect(url, autocommit=True) as conn:
        _require_citus(conn)
        # The coordinator holds a copy of every reference table. A transaction that read one copy
        # locally could not later write all copies (Citus refuses to switch how it reaches the
        # coordinator's own placements mid-transaction): the application's sessions reach it over
        # connections, as they reach the workers.
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET citus.enable_local_execution = off").format(sql.Identifier(conn.info.dbname))
        )
        # A row lock taken on a shard waits on the worker: ``SET LOCAL lock_timeout`` must reach it
        # there, or a lock in a fixed order with a timeout waits without end (Citus sends no SET
        # to the workers by default). ``set_config(..., true)`` stays on the coordinator.
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET citus.propagate_set_commands = 'local'").format(
                sql.Identifier(conn.info.dbname)
            )
        )
        kinds = _citus_kinds(conn)
        existing = _existing_tables(conn)
        reference = [t for t in REFERENCE_TABLES if t in existing and kinds.get(t) != "reference"]
        distributed = [t for t in DISTRIBUTED_TABLES if t in existing and kinds.get(t) != "distributed"]
        if not reference and not distributed:
            return Report([], [], _shard_count_of(conn, shard_count))
        planned = set(reference) | set(distributed)
        dropped = _foreign_keys_into(conn, planned)
        for fk in dropped:
            _alter(conn, fk.table, "DROP CONSTRAINT {}", fk.name)
        for table in reference:
            log.info("reference table %s", table)
            conn.execute("SELECT create_reference_table(%s)", (table,))
        for table in distributed:
            log.info("distributing %s by cell", table)
            _distribute_table(conn, table, shard_count)
        for fk in dropped:
            if fk.table in LOCAL_WITHOUT_FOREIGN_KEYS:
                continue
            _alter(conn, fk.table, "ADD CONSTRAINT {} " + fk.definition, fk.name)
        return Report(reference, distributed, _shard_count_of(conn, shard_count))


def _distribute_table(conn: psycopg.Connection, table: str, shard_count: int) -> None:
    partitions = [
        row[0]
        for row in conn.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass ORDER BY 1", (table,)
        )
    ]
    bounds = {
        name: conn.execute(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = %s::regclass", (name,)
        ).fetchone()[0]  # type: ignore[index]
        for name in partitions
    }
    for name in partitions:
        _alter(conn, table, "DETACH PARTITION {}", name)
    if table == "events":
        conn.execute(
            "SELECT create_distributed_table(%s, %s, colocate_with => 'none', shard_count => %s)",
            (table, DISTRIBUTION_COLUMN, shard_count),
        )
    else:
        conn.execute("SELECT create_distributed_table(%s, %s, colocate_with => 'events')", (table, DISTRIBUTION_COLUMN))
    for name in partitions:
        conn.execute("SELECT create_distributed_table(%s, %s, colocate_with => %s)", (name, DISTRIBUTION_COLUMN, table))
        _alter(conn, table, "ATTACH PARTITION {} " + bounds[name], name)


def _alter(conn: psycopg.Connection, table: str, action: str, name: str) -> None:
    """``ALTER TABLE table <action>`` with ``{}`` in ``action`` the quoted ``name``, in a transaction
    of its own (each partition's locks are let go before the next). ``action``'s other text comes
    from the catalog (a constraint's or a partition bound's definition)."""
    statement = sql.SQL("ALTER TABLE {} ").format(sql.Identifier(table)) + sql.SQL(action).format(sql.Identifier(name))
    with conn.transaction():
        conn.execute(statement)


def _require_citus(conn: psycopg.Connection) -> None:
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'citus'").fetchone()
    if row is None:
        raise ConfigurationError("the database has no citus extension: CREATE EXTENSION citus on every node first")
    workers = conn.execute("SELECT count(*) FROM citus_get_active_worker_nodes()").fetchone()
    if not workers or workers[0] == 0:
        raise ConfigurationError("no active Citus workers: add them with citus_add_node(host, port) on the coordinator")


def _citus_kinds(conn: psycopg.Connection) -> dict[str, str]:
    rows = conn.execute(
        "SELECT logicalrelid::regclass::text, CASE WHEN partmethod = 'n' AND repmodel = 't' THEN 'reference' "
        "WHEN partmethod = 'h' THEN 'distributed' ELSE 'local' END FROM pg_dist_partition"
    ).fetchall()
    return {name: kind for name, kind in rows}


def _existing_tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') "
        "AND NOT relispartition"
    ).fetchall()
    return {row[0] for row in rows}


def _foreign_keys_into(conn: psycopg.Connection, tables: set[str]) -> list[ForeignKey]:
    """The parent-level foreign keys into the tables about to change kind (they are put back after)."""
    rows = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), confrelid::regclass::text "
        "FROM pg_constraint WHERE contype = 'f' AND conparentid = 0 AND connamespace = 'public'::regnamespace "
        "ORDER BY conrelid::regclass::text, conname"
    ).fetchall()
    return [ForeignKey(t, n, d) for t, n, d, target in rows if target in tables]


def _shard_count_of(conn: psycopg.Connection, requested: int) -> int:
    row = conn.execute("SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'events'::regclass").fetchone()
    return int(row[0]) if row and row[0] else requested
