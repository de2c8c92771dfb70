"""The registry of personal-data holders: one list that both the export and the erase walk.

Every place that holds something about a person (a table, a set of Redis keys, a media folder)
is described once, by its domain, as a ``Holder``: how to *export* what it holds about a person
and how to *erase* it. ``GET /me/export`` and ``DELETE /me`` are both built from the same
``PersonalData`` registry (assembled in ``app.privacy.holders``), so a table cannot be exported
and forgotten by the erase, or the other way round; a test checks that every table with a column
referencing ``accounts`` is named by some holder.

An erase runs inside the request's transaction. Holders delete (or pseudonymise) their rows there
and *collect* what lives outside PostgreSQL on the ``Erasure``: Redis keys and media folders, which
the privacy service removes once every holder has run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from psycopg import sql

from app.db import Conn
from app.events.repository import one_connection_per_node

# What a holder exports: anything orjson can write.
Exported = Any

# One section of an export holds at most this many rows: far beyond what the product lets a person
# accumulate (saved events and follows are capped lower), yet a bound on one response.
MAX_EXPORT_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class Person:
    """Whom an export or an erase is about: the identifiers other rows may be keyed by."""

    account_id: UUID
    email: str


@dataclass(slots=True)
class Erasure:
    """One erase in progress: the person, their pseudonym, and what must go outside PostgreSQL."""

    person: Person
    # Stands for the person in the records the law makes us keep (payments): random, and stored
    # nowhere beside anything that names them.
    pseudonym: UUID
    # Redis key names *without* the deployment's key prefix.
    redis_keys: set[str] = field(default_factory=set)
    # Folders under the media root (as path parts), removed with everything in them.
    media_dirs: set[tuple[str, ...]] = field(default_factory=set)
    # Domain events to publish once the erase has committed (e.g. "every session of this account ended").
    after_commit: list[object] = field(default_factory=list)


ExportFn = Callable[[Conn, Person], Awaitable[Exported]]
EraseFn = Callable[[Conn, Erasure], Awaitable[None]]
# Returns why this person cannot be erased yet (e.g. "last owner of an organizer"), or None.
BlockFn = Callable[[Conn, Person], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class Holder:
    """One place that holds personal data, and the two things every such place must be able to do."""

    section: str  # the export's key for what this holder returns
    tables: tuple[str, ...]  # the tables it covers (may be empty for Redis-only holders)
    export: ExportFn
    erase: EraseFn
    blocks_erase: BlockFn | None = None


class PersonalData:
    """The registry: holders in erase order, with the account itself always erased last.

    Holders run in the order given, then ``account``: rows that must outlive the account in a
    pseudonymised form (payments) are rewritten before the account row's cascades could reach them.
    """

    def __init__(self, holders: Sequence[Holder], account: Holder) -> None:
        ordered = [account, *holders]
        sections = [holder.section for holder in ordered]
        duplicates = {name for name in sections if sections.count(name) > 1}
        if duplicates:
            raise ValueError(f"two personal-data holders export the same section: {sorted(duplicates)}")
        self._export_order = ordered
        self._erase_order = [*holders, account]

    @property
    def holders(self) -> tuple[Holder, ...]:
        return tuple(self._export_order)

    def tables(self) -> set[str]:
        return {table for holder in self._export_order for table in holder.tables}

    async def export(self, conn: Conn, person: Person) -> dict[str, Exported]:
        return {holder.section: await holder.export(conn, person) for holder in self._export_order}

    async def reasons_not_to_erase(self, conn: Conn, person: Person) -> list[str]:
        reasons = []
        for holder in self._export_order:
            if holder.blocks_erase is not None and (reason := await holder.blocks_erase(conn, person)):
                reasons.append(reason)
        return reasons

    async def erase(self, conn: Conn, erasure: Erasure) -> None:
        # Shard deletes (saves, RSVPs, tickets), then reference and coordinator tables (geofences,
        # sessions, the account): on Citus one transaction may do both only one connection per node.
        await one_connection_per_node(conn)
        for holder in self._erase_order:
            await holder.erase(conn, erasure)


def owned_rows(
    section: str,
    table: str,
    *,
    owner: str = "account_id",
    order_by: str,
    hidden: Iterable[str] = (),
) -> Holder:
    """A holder for a table whose rows belong to one account through ``owner``: export them all
    (as JSON objects of their columns, without ``hidden`` ones such as token hashes) and delete them.
    ``order_by`` is SQL written by the domain (column names of ``table``), never client input.
    """
    hidden_list = list(hidden)
    where = sql.SQL("{} = %(account_id)s").format(sql.Identifier(owner))
    select = _rows_as_json(sql.Identifier(table), where, sql.SQL(order_by))
    delete = sql.SQL("DELETE FROM {} WHERE {}").format(sql.Identifier(table), where)

    async def export(conn: Conn, person: Person) -> Exported:
        return await fetch_json(conn, select, {"account_id": person.account_id, "hidden": hidden_list})

    async def erase(conn: Conn, erasure: Erasure) -> None:
        await conn.execute(delete, {"account_id": erasure.person.account_id})

    return Holder(section, (table,), export, erase)


def _rows_as_json(table: sql.Composable, where: sql.Composable, order_by: sql.Composable) -> sql.Composed:
    return sql.SQL(
        "SELECT coalesce(jsonb_agg(to_jsonb(t) - %(hidden)s::text[] ORDER BY {order_by}), '[]'::jsonb) AS rows "
        "FROM (SELECT * FROM {table} WHERE {where} ORDER BY {order_by} LIMIT {limit}) AS t"
    ).format(table=table, where=where, order_by=order_by, limit=sql.Literal(MAX_EXPORT_ROWS))


async def fetch_json(conn: Conn, query: sql.SQL | sql.Composed, params: dict[str, Any]) -> Exported:
    """The ``rows`` column of the one row ``query`` returns (a JSON value built in SQL)."""
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    return None if row is None else row["rows"]


def pseudonymised_rows(
    section: str,
    table: str,
    *,
    owner: str = "account_id",
    pseudonym_column: str = "erased_pseudonym",
    cleared: Iterable[str],
    order_by: str,
) -> Holder:
    """A holder for records the law makes us keep after an erase (payments, invoices).

    Exported like ``owned_rows``. On erase the rows stay, detached from the person: ``owner``
    becomes NULL, ``pseudonym_column`` (a nullable uuid) takes the erasure's pseudonym (so one
    person's records still group together for an auditor), and every column in ``cleared`` (name,
    email, address: whatever names the person) becomes NULL. The table's foreign key to
    ``accounts`` must not cascade deletes (``ON DELETE SET NULL``), as a second line of defence.
    """
    cleared_list = list(cleared)
    where = sql.SQL("{} = %(account_id)s").format(sql.Identifier(owner))
    select = _rows_as_json(sql.Identifier(table), where, sql.SQL(order_by))
    assignments = sql.SQL(", ").join(
        [
            sql.SQL("{} = NULL").format(sql.Identifier(owner)),
            sql.SQL("{} = %(pseudonym)s").format(sql.Identifier(pseudonym_column)),
            *(sql.SQL("{} = NULL").format(sql.Identifier(column)) for column in cleared_list),
        ]
    )
    update = sql.SQL("UPDATE {} SET {} WHERE {}").format(sql.Identifier(table), assignments, where)

    async def export(conn: Conn, person: Person) -> Exported:
        return await fetch_json(conn, select, {"account_id": person.account_id, "hidden": []})

    async def erase(conn: Conn, erasure: Erasure) -> None:
        await conn.execute(update, {"account_id": erasure.person.account_id, "pseudonym": erasure.pseudonym})

    return Holder(section, (table,), export, erase)
