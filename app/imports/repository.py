"""Queries of calendar imports: sources, jobs (a SKIP LOCKED queue) and links to what was imported."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db import Conn
from app.events.repository import lock_event

JOB_COLUMNS = (
    "j.id, j.source_id, j.organizer_id, j.status, j.total, j.processed, j.created, j.updated, j.unchanged, "
    "j.skipped, j.cancelled, j.report, j.error, j.created_at, j.started_at, j.finished_at, j.timezone, j.publish, "
    "s.kind, s.url, s.subscribe"
)


async def source(conn: Conn, organizer_id: UUID, url: str | None, subscribe: bool) -> dict[str, Any]:
    """The organizer's source for uploaded files, or for ``url`` (made on first use)."""
    kind = "file" if url is None else "url"
    conflict = "(organizer_id) WHERE kind = 'file'" if url is None else "(organizer_id, url) WHERE kind = 'url'"
    cur = await conn.execute(
        "INSERT INTO import_sources (organizer_id, kind, url, subscribe) VALUES (%s, %s, %s, %s) "
        f"ON CONFLICT {conflict} DO UPDATE SET subscribe = EXCLUDED.subscribe OR import_sources.subscribe "
        "RETURNING *",
        (organizer_id, kind, url, subscribe),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def insert_job(conn: Conn, values: dict[str, Any]) -> UUID:
    cur = await conn.execute(
        "INSERT INTO import_jobs (source_id, organizer_id, body, timezone, publish, created_at) "
        "VALUES (%(source_id)s, %(organizer_id)s, %(body)s, %(timezone)s, %(publish)s, %(now)s) RETURNING id",
        values,
    )
    row = await cur.fetchone()
    assert row is not None
    return UUID(str(row["id"]))


async def job(conn: Conn, job_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute(
        f"SELECT {JOB_COLUMNS} FROM import_jobs j JOIN import_sources s ON s.id = j.source_id WHERE j.id = %s",
        (job_id,),
    )
    return await cur.fetchone()


async def claim_job(conn: Conn, now: datetime, stale_after: timedelta) -> dict[str, Any] | None:
    """The oldest queued job (or one a dead worker left running), marked running; other workers skip it."""
    cur = await conn.execute(
        """
        UPDATE import_jobs SET status = 'running', started_at = %(now)s
        WHERE id = (SELECT id FROM import_jobs
                    WHERE status = 'queued' OR (status = 'running' AND started_at < %(stale)s)
                    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, source_id, organizer_id, body, timezone, publish
        """,
        {"now": now, "stale": now - stale_after},
    )
    return await cur.fetchone()


async def source_by_id(conn: Conn, source_id: UUID) -> dict[str, Any]:
    cur = await conn.execute("SELECT * FROM import_sources WHERE id = %s", (source_id,))
    row = await cur.fetchone()
    assert row is not None
    return row


async def progress(conn: Conn, job_id: UUID, counts: dict[str, int], entries: list[dict[str, Any]]) -> None:
    """Add ``counts`` to the job's and append ``entries`` to its report."""
    await conn.execute(
        "UPDATE import_jobs SET processed = processed + %(processed)s, created = created + %(created)s, "
        "updated = updated + %(updated)s, unchanged = unchanged + %(unchanged)s, skipped = skipped + %(skipped)s, "
        "cancelled = cancelled + %(cancelled)s, report = report || %(entries)s WHERE id = %(id)s",
        {**counts, "entries": Jsonb(entries), "id": job_id},
    )


async def set_total(conn: Conn, job_id: UUID, total: int) -> None:
    await conn.execute("UPDATE import_jobs SET total = %s, body = NULL WHERE id = %s", (total, job_id))


async def finish(conn: Conn, job_id: UUID, status: str, error: str | None, now: datetime) -> None:
    await conn.execute(
        "UPDATE import_jobs SET status = %s, error = %s, finished_at = %s, body = NULL WHERE id = %s",
        (status, error, now, job_id),
    )


async def fetched(conn: Conn, source_id: UUID, etag: str | None, modified: str | None, now: datetime,
                  next_at: datetime | None) -> None:  # fmt: skip
    await conn.execute(
        "UPDATE import_sources SET etag = %s, last_modified = %s, last_fetched_at = %s, next_fetch_at = %s "
        "WHERE id = %s",
        (etag, modified, now, next_at, source_id),
    )


async def links(conn: Conn, source_id: UUID, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    if not keys:
        return {}
    cur = await conn.execute(
        "SELECT * FROM import_links WHERE source_id = %s AND (uid, key) IN "
        "(SELECT * FROM unnest(%s::text[], %s::text[]))",
        (source_id, [u for u, _ in keys], [k for _, k in keys]),
    )
    return {(row["uid"], row["key"]): row for row in await cur.fetchall()}


async def link_of(conn: Conn, source_id: UUID, uid: str, key: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        "SELECT * FROM import_links WHERE source_id = %s AND uid = %s AND key = %s", (source_id, uid, key)
    )
    return await cur.fetchone()


async def save_link(conn: Conn, source_id: UUID, values: dict[str, Any]) -> None:
    await conn.execute(
        """
        INSERT INTO import_links (source_id, uid, key, kind, event_id, series_id, content_hash, gone, updated_at)
        VALUES (%(source_id)s, %(uid)s, %(key)s, %(kind)s, %(event_id)s, %(series_id)s, %(hash)s, %(gone)s, %(now)s)
        ON CONFLICT (source_id, uid, key) DO UPDATE SET kind = EXCLUDED.kind, event_id = EXCLUDED.event_id,
            series_id = EXCLUDED.series_id, content_hash = EXCLUDED.content_hash, gone = EXCLUDED.gone,
            updated_at = EXCLUDED.updated_at
        """,
        {"source_id": source_id, "gone": False, "event_id": None, "series_id": None, **values},
    )


async def present_links(conn: Conn, source_id: UUID, limit: int) -> list[dict[str, Any]]:
    """The source's links not yet marked gone (the caller compares them with what the source holds now)."""
    cur = await conn.execute(
        "SELECT * FROM import_links WHERE source_id = %s AND NOT gone ORDER BY uid, key LIMIT %s", (source_id, limit)
    )
    return await cur.fetchall()


async def mark_gone(conn: Conn, source_id: UUID, uid: str, key: str) -> None:
    await conn.execute(
        "UPDATE import_links SET gone = true WHERE source_id = %s AND uid = %s AND key = %s", (source_id, uid, key)
    )


async def due_sources(conn: Conn, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Subscribed URLs due for a fetch and without a queued or running job, locked (SKIP LOCKED)."""
    cur = await conn.execute(
        """
        SELECT s.id, s.organizer_id FROM import_sources s
        WHERE s.subscribe AND s.next_fetch_at <= %s
          AND NOT EXISTS (SELECT 1 FROM import_jobs j WHERE j.source_id = s.id AND j.status IN ('queued', 'running'))
        ORDER BY s.next_fetch_at LIMIT %s FOR UPDATE SKIP LOCKED
        """,
        (now, limit),
    )
    return await cur.fetchall()


async def event_row(conn: Conn, event_id: UUID) -> dict[str, Any] | None:
    """The linked event (locked), wherever it is now: its cell from ``event_locator`` (a link keeps
    no cell, the event may have moved since it was imported), then that partition (one shard)."""
    return await lock_event(conn, event_id)


async def occurrence_id(conn: Conn, series_id: UUID, recurrence_id: datetime) -> UUID | None:
    cur = await conn.execute(
        "SELECT id FROM events WHERE series_id = %s AND recurrence_id = %s", (series_id, recurrence_id)
    )
    row = await cur.fetchone()
    return None if row is None else row["id"]


async def first_occurrence_id(conn: Conn, series_id: UUID) -> UUID | None:
    cur = await conn.execute("SELECT id FROM events WHERE series_id = %s ORDER BY recurrence_id LIMIT 1", (series_id,))
    row = await cur.fetchone()
    return None if row is None else row["id"]


async def queue_refresh(conn: Conn, source_id: UUID, now: datetime) -> None:
    """A new job for a subscribed source, with the zone and publishing choice of its latest import."""
    await conn.execute(
        """
        INSERT INTO import_jobs (source_id, organizer_id, timezone, publish, created_at)
        SELECT s.id, s.organizer_id, j.timezone, coalesce(j.publish, false), %(now)s
        FROM import_sources s
        LEFT JOIN LATERAL (SELECT timezone, publish FROM import_jobs WHERE source_id = s.id
                           ORDER BY created_at DESC LIMIT 1) j ON true
        WHERE s.id = %(id)s
        """,
        {"id": source_id, "now": now},
    )
