"""A private Citus cluster: a coordinator and two workers on loopback (`pytest --citus`, the Citus bench).

Each node is a :class:`PrivatePostgres` (its own data folder under a temporary directory, its own
port) started with ``shared_preload_libraries=citus`` (built into the machine's PostgreSQL by
``scripts/citus/build.sh``). A database is created on every node with the ``citus`` extension, the
workers are added from the coordinator, and the coordinator's database is then migrated like any
other: Citus propagates the extensions, functions and types the migrations create to the workers.
``python -m app distribute`` (:func:`app.distribution.distribute`) turns it into the distributed layout.
"""

from __future__ import annotations

import psycopg

from scripts.private_postgres import PrivatePostgres

WORKERS = 2
# Distributing a hash-partitioned table with its partitions and indexes takes many locks at once.
NODE_OPTIONS = "-c shared_preload_libraries=citus -c max_locks_per_transaction=512 -c citus.log_remote_commands=off"
# Throw-away data (the tests, a benchmark's setup): no durability at all.
FAST_OPTIONS = "-c synchronous_commit=off"
# As durable as the project's shared server (a benchmark compares the two): fsync and full pages on.
DURABLE_OPTIONS = "-c fsync=on -c full_page_writes=on"


class CitusNode(PrivatePostgres):
    durable = False

    def start(self) -> None:
        # Later settings win: a durable node turns back on what PrivatePostgres turns off.
        extra = DURABLE_OPTIONS if self.durable else FAST_OPTIONS
        self._start(60, f"-c max_connections=200 {NODE_OPTIONS} {extra}")

    def stop(self) -> None:
        """A clean shutdown."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


class CitusCluster:
    """Coordinator + workers; :meth:`create_database` gives a coordinator URL with the workers added."""

    def __init__(self) -> None:
        self.coordinator = CitusNode()
        self.workers = [CitusNode() for _ in range(WORKERS)]

    @property
    def nodes(self) -> list[CitusNode]:
        return [self.coordinator, *self.workers]

    def start(self) -> None:
        for node in self.nodes:
            node.initdb()
        for node in self.nodes:
            node.start()

    def create_database(self, name: str) -> str:
        for node in self.nodes:
            with psycopg.connect(node.url(), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            with psycopg.connect(node.url(name), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION citus")
        with psycopg.connect(self.coordinator.url(name), autocommit=True) as conn:
            conn.execute("SELECT citus_set_coordinator_host('127.0.0.1', %s)", (self.coordinator.port,))
            for worker in self.workers:
                conn.execute("SELECT citus_add_node('127.0.0.1', %s)", (worker.port,))
        return self.coordinator.url(name)

    def restart(self, *, durable: bool) -> None:
        """Every node stopped cleanly and started again, with fsync and synchronous commit on when
        ``durable`` (a benchmark sets up fast, then measures as durable as the shared server)."""
        for node in self.nodes:
            node.stop()
            node.durable = durable
            node.start()

    def remove(self) -> None:
        for node in self.nodes:
            node.remove()
