"""What the organizers' event endpoints call for occurrences of a series: local times in, audit written.

``POST /events`` with a ``recurrence`` calls ``create_series``; ``PATCH /events/{id}``, the
publish/unpublish/cancel transitions and ``DELETE /events/{id}`` call ``edit``, ``transition``
and ``remove`` when the event is an occurrence (``series_id`` set). The decisions:

- ``scope`` (query): ``occurrence`` (the default for PATCH and cancel), ``following`` (this and the
  later ones: the series splits) or ``series`` (every occurrence from now on).
- Publishing or unpublishing any occurrence publishes or unpublishes the whole series (a series is
  announced once). Cancelling cancels that occurrence only, unless ``scope=series``.
- Deleting an occurrence of a draft series removes it (its start joins the exdates); an occurrence
  of a published series is cancelled instead (409, as for one-off events).

Every write records one audit entry: ``entity="series"`` for what changes the series (created,
updated, split, published, unpublished, cancelled, excluded), ``entity="event"`` for an override
of one occurrence (updated, cancelled).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from app.audit.service import record
from app.db import Conn
from app.events import service as events
from app.events.changes import EventChange
from app.events.errors import TransitionRefused
from app.events.local_time import to_instant
from app.events.publishing_schemas import EventDraft, EventEdit
from app.series import repository, service
from app.series.errors import InvalidRecurrence
from app.series.schemas import Scope, SeriesCreate
from config.settings import SeriesSettings

Result = tuple[dict[str, Any], list[EventChange]]


async def create_series(
    conn: Conn, actor: UUID | None, draft: EventDraft, *, settings: SeriesSettings, now: datetime
) -> Result:
    """A new draft series from local times; its first occurrence and every occurrence's change."""
    assert draft.recurrence is not None
    zone = draft.timezone
    if draft.venue_id is not None:
        venue = await repository.organizer_venue(conn, draft.venue_id, draft.organizer_id)
        zone = zone or venue["timezone"]
    assert zone is not None  # EventDraft requires a venue or a timezone
    fields = draft.model_dump(exclude={"starts_at", "ends_at", "timezone", "recurrence", "location"}, exclude_none=True)
    data = SeriesCreate.model_validate(
        {
            **fields, "location": draft.location, "recurrence": draft.recurrence, "timezone": zone,
            "status": "draft", "starts_at": to_instant(draft.starts_at, zone, "starts_at"),
            "ends_at": to_instant(draft.ends_at, zone, "ends_at"),
        }
    )  # fmt: skip
    first, changes = await service.store_series(conn, data, settings=settings, now=now)
    await _audit(conn, actor, first["series_id"], "created", now)
    return first, changes


async def edit(
    conn: Conn,
    actor: UUID | None,
    current: dict[str, Any],
    body: EventEdit,
    scope: Scope | None,
    *,
    settings: SeriesSettings,
    now: datetime,
) -> Result:
    """``PATCH /events/{id}`` on an occurrence, in ``scope`` (default: this occurrence only)."""
    occurrence = await service.occurrence_of(conn, current["id"], settings.lock_timeout_ms)
    changes = _changes(body, occurrence)
    scope = scope or "occurrence"
    if scope == "occurrence":
        if body.recurrence is not None or "timezone" in changes:
            raise InvalidRecurrence(
                "one occurrence keeps its series' rule and time zone: use scope=series or scope=following",
                param="scope",
            )
        row, written = await service.edit_occurrence(conn, occurrence, changes, now=now)
        await _audit_event(conn, actor, occurrence, current, row, "updated", now)
        return row, written
    edit_scope = service.edit_series if scope == "series" else service.split_series
    maybe_row, written = await edit_scope(
        conn, occurrence, changes, recurrence=body.recurrence, settings=settings, now=now
    )
    series_id = maybe_row["series_id"] if maybe_row is not None else occurrence["id"]
    await _audit(conn, actor, series_id, "updated" if scope == "series" else "split", now)
    return maybe_row or await service.any_occurrence(conn, series_id), written


async def transition(
    conn: Conn,
    actor: UUID | None,
    current: dict[str, Any],
    name: events.Transition,
    scope: Scope | None,
    *,
    settings: SeriesSettings,
    now: datetime,
) -> Result:
    """Publish/unpublish the whole series; cancel one occurrence (or the series with ``scope=series``)."""
    occurrence = await service.occurrence_of(conn, current["id"], settings.lock_timeout_ms)
    sources, target = events.TRANSITIONS[name]
    whole = name != "cancel" or scope == "series"
    status = occurrence["status"] if whole else current["status"]
    if status not in sources:
        what = "series" if whole else "occurrence"
        raise TransitionRefused(
            f"a {status} {what} cannot be {_PAST[name]}; only a {' or '.join(sorted(sources))} one can"
        )
    if not whole:
        row, written = await service.cancel_occurrence(conn, occurrence, now=now)
        await _audit_event(conn, actor, occurrence, current, row, "cancelled", now)
        return row, written
    maybe_row, written = await service.edit_series(
        conn, occurrence, {"status": target}, recurrence=None, settings=settings, now=now
    )
    await _audit(conn, actor, occurrence["id"], _PAST[name], now)
    return maybe_row or await service.any_occurrence(conn, occurrence["id"]), written


async def remove(
    conn: Conn, actor: UUID | None, current: dict[str, Any], *, settings: SeriesSettings, now: datetime
) -> list[EventChange]:
    """``DELETE /events/{id}`` on an occurrence of a draft series: its start joins the exdates."""
    occurrence = await service.occurrence_of(conn, current["id"], settings.lock_timeout_ms)
    if current["status"] != "draft":
        raise TransitionRefused(f"a {current['status']} occurrence cannot be deleted; cancel it instead")
    changes = await service.exclude_occurrence(conn, occurrence, now=now)
    await _audit(conn, actor, occurrence["id"], "excluded", now)
    return changes


def _changes(body: EventEdit, occurrence: dict[str, Any]) -> dict[str, Any]:
    """The edit as the series service reads it: instants (local times read in the zone), objects kept."""
    given = {name: getattr(body, name) for name in body.model_fields_set if name != "recurrence"}
    zone = given.get("timezone") or occurrence["timezone"]
    if given.get("timezone") in (None, occurrence["timezone"]):
        given.pop("timezone", None)
    for name in ("starts_at", "ends_at"):
        if given.get(name) is not None:
            given[name] = to_instant(given[name], zone, name)
    if "ends_at" in given and "starts_at" not in given:  # an end alone keeps the occurrence's start
        given["starts_at"] = occurrence["recurrence_id"]
    if given.get("ends_at") is not None and given["ends_at"] - given["starts_at"] < timedelta(0):
        raise InvalidRecurrence("ends_at must not be before starts_at", param="ends_at")
    return given


async def _audit(conn: Conn, actor: UUID | None, series_id: UUID, action: str, now: datetime) -> None:
    series = await repository.snapshot(conn, series_id)
    await record(
        conn, organizer_id=series["organizer_id"], actor=actor, entity="series", entity_id=series_id,
        action=action, before=None, after=_series_snapshot(series), at=now,
    )  # fmt: skip


async def _audit_event(
    conn: Conn,
    actor: UUID | None,
    occurrence: dict[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
    action: str,
    now: datetime,
) -> None:
    await record(
        conn, organizer_id=occurrence["organizer_id"], actor=actor, entity="event", entity_id=after["id"],
        action=action, before=events.audit_snapshot(before), after=events.audit_snapshot(after), at=now,
    )  # fmt: skip


def _series_snapshot(series: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": series["title"], "status": series["status"], "rrule": series["rrule"],
        "exdates": [d.isoformat() for d in series["exdates"]], "dtstart_local": series["dtstart_local"].isoformat(),
        "duration_s": int(series["duration"].total_seconds()), "timezone": series["timezone"],
        "venue_id": None if series["venue_id"] is None else str(series["venue_id"]),
    }  # fmt: skip


_PAST: dict[events.Transition, str] = {"publish": "published", "unpublish": "unpublished", "cancel": "cancelled"}
