"""Deferring a table's secondary indexes and foreign keys around a bulk load into it.

Loading a million rows into a table that keeps its indexes and foreign keys costs a B-tree or
GiST insertion per index and an RI-trigger query per foreign key *per row*; building them
afterwards is several times cheaper. Definitions are read from the catalog before dropping, so
the exact names and definitions come back, including indexes that later migrations add. The
primary key and unique constraints stay: other tables' foreign keys may depend on them.

Partitioned tables: each partition's index is recreated under its own name, spread over a few
connections (GiST and GIN builds are single-threaded, so this is how every core gets used);
then, as pg_dump does, the parent index is created ``ON ONLY`` the parent (the catalog's own
definition) and each partition's index attached to it, which makes it valid.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

Connection = psycopg.Connection[TupleRow]
SessionSetup = Callable[[Connection], None]


@dataclass(frozen=True, slots=True)
class PartitionIndex:
    name: str
    definition: str


@dataclass(frozen=True, slots=True)
class DeferredIndex:
    """An index dropped for the load; a partitioned one lists its partitions' indexes."""

    name: str
    definition: str
    partitions: tuple[PartitionIndex, ...]

    def statements(self) -> list[str]:
        """Create the partitions' indexes, then the parent's, then attach them to it."""
        attach = [f"ALTER INDEX {self.name} ATTACH PARTITION {part.name}" for part in self.partitions]
        return [part.definition for part in self.partitions] + [self.definition, *attach]


@dataclass(frozen=True, slots=True)
class DeferredForeignKey:
    name: str
    definition: str


@dataclass(frozen=True, slots=True)
class Deferred:
    """What ``defer`` took off a table, to put back after the load."""

    table: str
    indexes: tuple[DeferredIndex, ...]
    foreign_keys: tuple[DeferredForeignKey, ...]

    def statements(self) -> list[str]:
        """Every statement that restores the table (for an operator, should a restore fail)."""
        keys = [_add_foreign_key(self.table, key).as_string() for key in self.foreign_keys]
        return keys + [statement for index in self.indexes for statement in index.statements()]


# Indexes no constraint depends on, whose partitions (if any) are not partitioned themselves.
_INDEXES = """
SELECT i.indexrelid, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = %s::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
  AND NOT EXISTS (
    SELECT 1 FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhrelid
    WHERE h.inhparent = i.indexrelid AND p.relkind = 'I'
  )
ORDER BY 2
"""
_PARTITION_INDEXES = """
SELECT h.inhrelid::regclass::text, pg_get_indexdef(h.inhrelid)
FROM pg_inherits h WHERE h.inhparent = %s ORDER BY 1
"""
_FOREIGN_KEYS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = %s::regclass AND contype = 'f' AND conparentid = 0
ORDER BY conname
"""


def defer(conn: Connection, table: str) -> Deferred:
    """Read, then drop, ``table``'s foreign keys and the indexes no constraint depends on."""
    indexes = tuple(
        DeferredIndex(name, definition, tuple(PartitionIndex(*row) for row in conn.execute(_PARTITION_INDEXES, (oid,))))
        for oid, name, definition in conn.execute(_INDEXES, (table,)).fetchall()
    )
    keys = tuple(DeferredForeignKey(name, definition) for name, definition in conn.execute(_FOREIGN_KEYS, (table,)))
    for key in keys:
        drop = sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}")
        conn.execute(drop.format(sql.Identifier(table), sql.Identifier(key.name)))
    for index in indexes:
        # The catalog's own text of the (possibly schema-qualified) name: no re-quoting needed.
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(index.name)))
    return Deferred(table, indexes, keys)


def restore_foreign_keys(conn: Connection, deferred: Deferred) -> None:
    """Add the foreign keys back; PostgreSQL validates every row in one pass per partition."""
    for key in deferred.foreign_keys:
        conn.execute(_add_foreign_key(deferred.table, key))


def _add_foreign_key(table: str, key: DeferredForeignKey) -> sql.Composed:
    return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
        sql.Identifier(table), sql.Identifier(key.name), sql.SQL(key.definition)
    )


def build_indexes(url: str, deferred: Deferred, connections: int, setup: SessionSetup) -> None:
    """Recreate the deferred indexes: partitions' and plain ones over ``connections`` sessions, then parents."""
    definitions = [
        definition
        for index in deferred.indexes
        for definition in ([part.definition for part in index.partitions] or [index.definition])
    ]
    run_in_parallel(url, definitions, connections, setup)
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        for index in deferred.indexes:
            if index.partitions:
                _attach(conn, index)


def run_in_parallel(url: str, statements: list[str], connections: int, setup: SessionSetup) -> None:
    """Run independent statements over ``connections`` autocommit sessions; the first error is raised."""
    jobs: queue.SimpleQueue[str] = queue.SimpleQueue()
    for statement in statements:
        jobs.put(statement)
    errors: list[BaseException] = []
    workers = [
        threading.Thread(target=_build_worker, args=(url, jobs, setup, errors), name=f"seed-index-{n}")
        for n in range(max(1, connections))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]


def _attach(conn: Connection, index: DeferredIndex) -> None:
    conn.execute(sql.SQL(index.definition))
    for part in index.partitions:
        # Both names are the catalog's own (quoted if need be) regclass text.
        conn.execute(sql.SQL("ALTER INDEX {} ATTACH PARTITION {}").format(sql.SQL(index.name), sql.SQL(part.name)))


def _build_worker(url: str, jobs: queue.SimpleQueue[str], setup: SessionSetup, errors: list[BaseException]) -> None:
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            setup(conn)
            while not errors:
                try:
                    definition = jobs.get_nowait()
                except queue.Empty:
                    return
                conn.execute(sql.SQL(definition))
    except BaseException as error:  # re-raised by the caller's thread
        errors.append(error)
