"""Search every stored value for a person's identifiers: every text-like column of every table, every Redis key.

Tables and columns are discovered from ``information_schema`` at the time of the scan, so a table a
later migration adds is searched without anyone remembering to add it here.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql
from redis.asyncio import Redis

# Columns whose text form may hold an identifier. bytea is searched in hex (token hashes).
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "uuid", "ARRAY", "xml", "citext")
_COLUMNS = """
SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.udt_name
FROM information_schema.columns c
JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
JOIN pg_class k ON k.oid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass
WHERE t.table_type = 'BASE TABLE'
  AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
  AND NOT k.relispartition  -- a partitioned table's scan covers its partitions
  AND (c.data_type = ANY(%(types)s) OR c.data_type = 'bytea' OR c.udt_name = 'citext')
ORDER BY 1, 2, 3
"""


@dataclass(frozen=True)
class Finding:
    where: str
    needle: str

    def __str__(self) -> str:
        return f"{self.needle!r} in {self.where}"


async def scan_database(url: str, needles: list[str]) -> tuple[list[Finding], int]:
    """Every (column, needle) where some row's value contains the needle (case-insensitive); and
    how many columns were searched."""
    findings: list[Finding] = []
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute(_COLUMNS, {"types": list(TEXT_TYPES)})
        columns = await cur.fetchall()
        for schema, table, column, data_type, _udt in columns:
            text = (
                sql.SQL("encode({}, 'hex')").format(sql.Identifier(column))
                if data_type == "bytea"
                else sql.SQL("{}::text").format(sql.Identifier(column))
            )
            # A join, not a correlated EXISTS under unnest(): Citus plans the join on every kind of table.
            query = sql.SQL(
                "SELECT DISTINCT scan_needle FROM {}.{} JOIN unnest(%(needles)s::text[]) AS scan_needle "
                "ON strpos(lower({}), lower(scan_needle)) > 0"
            ).format(sql.Identifier(schema), sql.Identifier(table), text)
            cur = await conn.execute(query, {"needles": needles})
            for (needle,) in await cur.fetchall():
                findings.append(Finding(f"{schema}.{table}.{column}", needle))
    return findings, len(columns)


async def scan_redis(redis: Redis, prefix: str, needles: list[str]) -> tuple[list[Finding], int]:
    """Every (key, needle) where the key's name or value contains the needle (case-insensitive); and
    how many keys were searched."""
    findings: list[Finding] = []
    lowered = [(needle, needle.lower().encode()) for needle in needles]
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
    for key in keys:
        blob = key + b"\x00" + b"\x00".join(await _values(redis, key))
        blob = blob.lower()
        for needle, raw in lowered:
            if raw in blob:
                findings.append(Finding(f"redis {key!r}", needle))
    return findings, len(keys)


async def _values(redis: Redis, key: bytes) -> list[bytes]:
    kind = (await redis.type(key)).decode()
    if kind == "string":
        value = await redis.get(key)
        return [] if value is None else [value]
    if kind == "hash":
        mapping = await redis.hgetall(key)
        return [part for pair in mapping.items() for part in pair]
    if kind == "list":
        return list(await redis.lrange(key, 0, -1))
    if kind == "set":
        return list(await redis.smembers(key))
    if kind == "zset":
        return list(await redis.zrange(key, 0, -1))
    if kind == "stream":
        entries = await redis.xrange(key)
        return [part for _, fields in entries for pair in fields.items() for part in pair]
    raise AssertionError(f"a Redis key of a type the scan does not read: {key!r} ({kind})")
