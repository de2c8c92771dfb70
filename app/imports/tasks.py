"""The imports' worker jobs: run queued imports (progress written batch by batch), queue due subscriptions.

A job is claimed with ``FOR UPDATE SKIP LOCKED`` and marked running in its own transaction; its
entries are then applied ``batch_size`` at a time, one transaction per batch, each entry inside a
savepoint (an entry that fails is rolled back alone and reported skipped with the reason). The
counts and the report grow with each batch, so ``GET /imports/{id}`` shows progress.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

import anyio.to_thread
from psycopg import errors as pg_errors

from app.errors import ProblemError
from app.imports import repository, service
from app.imports.fetch import FetchRefused, fetch_calendar
from app.imports.parse import CalendarUnreadable, Item, Parsed, parse_calendar
from app.series.rules import RuleError
from app.venues.geocoding import Geocoder, make_geocoder
from app.worker.jobs import WorkerContext

log = logging.getLogger("happenings.imports")
STALE_AFTER = timedelta(minutes=15)
_COUNTS = ("processed", "created", "updated", "unchanged", "skipped", "cancelled")


def _geocoder(context: WorkerContext) -> Geocoder:
    found = context.services.get("imports.geocoder")
    if found is None:
        found = context.services["imports.geocoder"] = make_geocoder(context.settings.geocoding)
    return found  # type: ignore[return-value]


async def run_imports(context: WorkerContext) -> int:
    """Run queued imports, at most ``job_batch``; how many ran."""
    done = 0
    while done < context.settings.imports.job_batch:
        async with context.unit_of_work() as work:
            job = await repository.claim_job(work.conn, context.clock(), STALE_AFTER)
        if job is None:
            break
        await run_job(context, job)
        done += 1
    return done


async def run_job(context: WorkerContext, job: dict[str, Any]) -> None:
    settings = context.settings.imports
    async with context.pool.connection() as conn:
        source = await repository.source_by_id(conn, job["source_id"])
    try:
        body = job["body"]
        if source["kind"] == "url":
            fetched = await fetch_calendar(
                service.fetchable(source["url"]), settings, etag=source["etag"], last_modified=source["last_modified"]
            )
            async with context.unit_of_work() as work:
                now = context.clock()
                await repository.fetched(work.conn, source["id"], fetched.etag, fetched.last_modified, now,
                                         service.next_fetch(now, settings, source["subscribe"]))  # fmt: skip
            if fetched.not_modified:
                async with context.unit_of_work() as work:
                    await repository.finish(work.conn, job["id"], "done", "not modified since the last fetch", now)
                return
            body = fetched.body
        parsed = await anyio.to_thread.run_sync(lambda: parse_calendar(bytes(body), max_items=settings.max_events))
    except (FetchRefused, CalendarUnreadable) as exc:
        async with context.unit_of_work() as work:
            await repository.finish(work.conn, job["id"], "failed", str(exc), context.clock())
            if source["kind"] == "url" and source["subscribe"]:
                now = context.clock()
                await repository.fetched(work.conn, source["id"], source["etag"], source["last_modified"], now,
                                         service.next_fetch(now, settings, True))  # fmt: skip
        return
    try:
        await _apply_all(context, job, source, parsed)
    except Exception:
        log.exception("import %s failed", job["id"])
        async with context.unit_of_work() as work:
            await repository.finish(work.conn, job["id"], "failed", "the import stopped on an internal error",
                                    context.clock())  # fmt: skip


async def _apply_all(context: WorkerContext, job: dict[str, Any], source: dict[str, Any], parsed: Parsed) -> None:
    settings = context.settings.imports
    async with context.unit_of_work() as work:
        await repository.set_total(work.conn, job["id"], len(parsed.items) + len(parsed.skipped))
        skips = [_entry(s.uid, s.key, s.title, "skipped", s.reason) for s in parsed.skipped]
        await repository.progress(work.conn, job["id"], _counts(skips), skips)
    # Masters before their overrides: an override needs its series.
    items = sorted(parsed.items, key=lambda item: item.kind == "override")
    for start in range(0, len(items), settings.batch_size):
        async with context.unit_of_work() as work:
            run = _run(context, work.conn, job, source, parsed)
            entries = [await _apply_one(run, item) for item in items[start : start + settings.batch_size]]
            await repository.progress(work.conn, job["id"], _counts(entries), entries)
            for change in run.changes:
                work.publish(change)
    if source["kind"] == "url":
        await _disappeared(context, job, source, parsed, {(i.uid, i.key) for i in parsed.items})
    async with context.unit_of_work() as work:
        await repository.finish(work.conn, job["id"], "done", None, context.clock())


def _run(context: WorkerContext, conn: Any, job: dict[str, Any], source: dict[str, Any], parsed: Parsed) -> service.Run:
    return service.Run(
        conn=conn, source_id=source["id"], organizer_id=job["organizer_id"], publish=job["publish"],
        timezone=job["timezone"], default_zone=parsed.default_zone, geocoder=_geocoder(context),
        venue_settings=context.settings.venues, series_settings=context.settings.series, now=context.clock(),
    )  # fmt: skip


async def _apply_one(run: service.Run, item: Item) -> dict[str, Any]:
    before = len(run.changes)
    try:
        async with run.conn.transaction():  # a savepoint: a failed entry leaves nothing behind
            outcome = await service.apply(run, item)
            if outcome.outcome != "unchanged" or outcome.event_id or outcome.series_id:
                await repository.save_link(run.conn, run.source_id, {
                    "uid": item.uid, "key": item.key, "kind": item.kind, "event_id": outcome.event_id,
                    "series_id": outcome.series_id, "hash": item.content_hash, "now": run.now,
                })  # fmt: skip
    except (service.Skipped, ProblemError, RuleError, ValueError) as exc:
        del run.changes[before:]
        reason = getattr(exc, "detail", None) or str(exc)
        return _entry(item.uid, item.key, item.title, "skipped", reason)
    except pg_errors.LockNotAvailable:
        del run.changes[before:]
        return _entry(item.uid, item.key, item.title, "skipped", "its series or venue was busy; import again")
    except (pg_errors.DataError, pg_errors.IntegrityError) as exc:
        del run.changes[before:]
        reason = f"refused by the database: {exc.diag.message_primary or type(exc).__name__}"
        return _entry(item.uid, item.key, item.title, "skipped", reason)
    return _entry(item.uid, item.key, item.title, outcome.outcome, outcome.reason, outcome.event_id, outcome.series_id)


async def _disappeared(
    context: WorkerContext, job: dict[str, Any], source: dict[str, Any], parsed: Parsed, present: set[tuple[str, str]]
) -> None:
    """Cancel what the source held before and holds no more (never delete it)."""
    async with context.unit_of_work() as work:
        links = await repository.present_links(work.conn, source["id"], 100_000)
        gone = [link for link in links if (link["uid"], link["key"]) not in present]
        if not gone:
            return
        run = _run(context, work.conn, job, source, parsed)
        entries = []
        for link in gone:
            outcome = await service.disappear(run, link)
            entries.append(_entry(link["uid"], link["key"], "", outcome.outcome, outcome.reason, outcome.event_id,
                                  outcome.series_id))  # fmt: skip
        counts = _counts(entries)
        counts["processed"] = 0
        await repository.progress(work.conn, job["id"], counts, entries)
        for change in run.changes:
            work.publish(change)


def _entry(uid: str, key: str, title: str, outcome: str, reason: str, event_id: UUID | None = None,
           series_id: UUID | None = None) -> dict[str, Any]:  # fmt: skip
    entry: dict[str, Any] = {"uid": uid, "outcome": outcome, "title": title}
    if key:
        entry["recurrence_id"] = key
    if reason:
        entry["reason"] = reason
    if event_id:
        entry["event_id"] = str(event_id)
    if series_id:
        entry["series_id"] = str(series_id)
    return entry


def _counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(_COUNTS, 0)
    for entry in entries:
        counts[entry["outcome"]] += 1
        counts["processed"] += 1
    return counts


async def queue_subscriptions(context: WorkerContext) -> int:
    """Queue an import for every subscribed URL that is due (and has none waiting); how many."""
    async with context.unit_of_work() as work:
        due = await repository.due_sources(work.conn, context.clock(), context.settings.imports.job_batch)
        for source in due:
            await repository.queue_refresh(work.conn, source["id"], context.clock())
    return len(due)
