"""Recurring events against real PostGIS: materialising, overrides, exdates, splits, the horizon job."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg.rows import dict_row

from app.events.publishing_schemas import Recurrence
from app.events.schemas import Point
from app.series import service
from app.series.errors import InvalidRecurrence
from app.series.schemas import SeriesCreate
from app.series.tasks import extend_horizons
from app.worker.runner import build_context, close_context
from config.settings import SeriesSettings, Settings
from tests.accounts.helpers import FrozenClock

PARIS_ZONE = ZoneInfo("Europe/Paris")
PARIS = Point(lat=48.8566, lon=2.3522)
LYON = Point(lat=45.764, lon=4.8357)
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
SETTINGS = SeriesSettings()


@pytest.fixture
async def conn(clean_db: str):  # type: ignore[no-untyped-def]
    async with await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row) as connection:
        yield connection


async def _organizer(conn: Any) -> uuid.UUID:
    cur = await conn.execute("INSERT INTO organizers (name) VALUES ('Org') RETURNING id")
    return (await cur.fetchone())["id"]  # type: ignore[no-any-return]


async def _venue(conn: Any, organizer: uuid.UUID, at: Point) -> uuid.UUID:
    cur = await conn.execute(
        "INSERT INTO venues (organizer_id, name, timezone, geom) VALUES (%s, 'Hall', 'Europe/Paris', "
        "ST_SetSRID(ST_MakePoint(%s, %s), 4326)) RETURNING id",
        (organizer, at.lon, at.lat),
    )
    return (await cur.fetchone())["id"]  # type: ignore[no-any-return]


def _series(organizer: uuid.UUID, rrule: str, *, exdates: list[datetime] | None = None, **fields: Any) -> SeriesCreate:
    start = datetime(2027, 1, 5, 19, 0, tzinfo=PARIS_ZONE)  # a Tuesday, winter time
    values: dict[str, Any] = {
        "organizer_id": organizer, "title": "Jazz night", "category": "music", "starts_at": start,
        "ends_at": start + timedelta(hours=3), "timezone": "Europe/Paris", "status": "published",
        "is_free": True, "location": PARIS, "recurrence": Recurrence(rrule=rrule, exdates=exdates or []),
    }
    return SeriesCreate.model_validate({**values, **fields})


async def _rows(conn: Any, series_id: uuid.UUID) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT id, recurrence_id, starts_at, ends_at, status, title, venue_id, series_id, ST_Y(geom) AS lat "
        "FROM events WHERE series_id = %s ORDER BY recurrence_id",
        (series_id,),
    )
    return await cur.fetchall()  # type: ignore[no-any-return]


async def _create(conn: Any, data: SeriesCreate, now: datetime = NOW) -> tuple[dict[str, Any], list[Any]]:
    return await service.store_series(conn, data, settings=SETTINGS, now=now)


async def test_weekly_52_across_dst_keep_19h_local_and_log_each_change(conn: Any) -> None:
    first, changes = await _create(conn, _series(await _organizer(conn), "FREQ=WEEKLY;BYDAY=TU;COUNT=52"))
    rows = await _rows(conn, first["series_id"])
    assert len(rows) == 52 == len(changes)
    locals_ = [r["starts_at"].astimezone(PARIS_ZONE) for r in rows]
    assert {(t.hour, t.minute) for t in locals_} == {(19, 0)}
    assert {t.utcoffset() for t in locals_} == {timedelta(hours=1), timedelta(hours=2)}
    assert {(r["ends_at"] - r["starts_at"]) for r in rows} == {timedelta(hours=3)}
    assert first["recurrence_id"] == rows[0]["recurrence_id"] == first["starts_at"]
    cur = await conn.execute(
        "SELECT count(*) AS n FROM event_changes WHERE kind = 'created' AND event_id = ANY(%s)",
        ([r["id"] for r in rows],),
    )
    assert (await cur.fetchone())["n"] == 52


async def test_exdates_at_creation_and_later(conn: Any) -> None:
    organizer = await _organizer(conn)
    first, _ = await _create(conn, _series(organizer, "FREQ=WEEKLY;COUNT=4", exdates=[datetime(2027, 1, 12, 19)]))
    rows = await _rows(conn, first["series_id"])
    assert [r["starts_at"].astimezone(PARIS_ZONE).day for r in rows] == [5, 19, 26]
    occurrence = await service.occurrence_of(conn, rows[1]["id"])
    changes = await service.exclude_occurrence(conn, occurrence, now=NOW)
    assert [c.kind for c in changes] == ["deleted"]
    assert [r["starts_at"].astimezone(PARIS_ZONE).day for r in await _rows(conn, first["series_id"])] == [5, 26]


async def test_overrides_of_time_and_venue_survive_rematerialisation(conn: Any) -> None:
    organizer = await _organizer(conn)
    lyon = await _venue(conn, organizer, LYON)
    first, _ = await _create(conn, _series(organizer, "FREQ=WEEKLY;COUNT=6"))
    rows = await _rows(conn, first["series_id"])
    later = rows[2]["starts_at"] + timedelta(hours=1)
    third = await service.occurrence_of(conn, rows[2]["id"])
    moved, _ = await service.edit_occurrence(conn, third, {"starts_at": later}, now=NOW)
    assert moved["starts_at"] == later and moved["ends_at"] == later + timedelta(hours=3)
    elsewhere, changes = await service.edit_occurrence(
        conn, await service.occurrence_of(conn, rows[3]["id"]), {"venue_id": lyon}, now=NOW
    )
    assert elsewhere["venue_id"] == lyon and "moved" in changes[0].aspects
    # The whole series is renamed and moved by an hour: every future row follows, the overrides stay.
    renamed, _ = await service.edit_series(
        conn, await service.occurrence_of(conn, rows[0]["id"]),
        {"title": "Jazz club", "starts_at": rows[0]["starts_at"] + timedelta(minutes=30)},
        recurrence=None, settings=SETTINGS, now=NOW,
    )
    after = await _rows(conn, first["series_id"])
    assert [r["id"] for r in after] == [r["id"] for r in rows]  # same events, re-keyed by local date
    assert {r["title"] for r in after} == {"Jazz club"}
    assert after[2]["starts_at"] == later  # the time override wins over the series' shift
    assert after[3]["venue_id"] == lyon and after[3]["lat"] == pytest.approx(LYON.lat)
    assert after[4]["starts_at"].astimezone(PARIS_ZONE).time().isoformat() == "19:30:00"
    assert renamed is not None and renamed["starts_at"].astimezone(PARIS_ZONE).minute == 30


async def test_cancel_one_keeps_it_visible_and_survives(conn: Any) -> None:
    first, _ = await _create(conn, _series(await _organizer(conn), "FREQ=WEEKLY;COUNT=3"))
    rows = await _rows(conn, first["series_id"])
    cancelled, changes = await service.cancel_occurrence(
        conn, await service.occurrence_of(conn, rows[1]["id"]), now=NOW
    )
    assert cancelled["status"] == "cancelled" and "cancelled" in changes[0].aspects
    await service.edit_series(
        conn, await service.occurrence_of(conn, rows[0]["id"]), {"title": "Renamed"},
        recurrence=None, settings=SETTINGS, now=NOW,
    )
    assert [r["status"] for r in await _rows(conn, first["series_id"])] == ["published", "cancelled", "published"]


async def test_past_occurrences_stay_as_they_were(conn: Any) -> None:
    first, _ = await _create(conn, _series(await _organizer(conn), "FREQ=WEEKLY;COUNT=4"))
    rows = await _rows(conn, first["series_id"])
    later = rows[1]["starts_at"] + timedelta(hours=1)  # after the second occurrence
    await service.edit_series(
        conn, await service.occurrence_of(conn, rows[3]["id"]), {"title": "New"},
        recurrence=None, settings=SETTINGS, now=later,
    )
    assert [r["title"] for r in await _rows(conn, first["series_id"])] == ["Jazz night"] * 2 + ["New"] * 2


async def test_this_and_following_splits_the_series(conn: Any) -> None:
    data = _series(await _organizer(conn), "FREQ=WEEKLY;COUNT=6", exdates=[datetime(2027, 2, 2, 19)])
    first, _ = await _create(conn, data)
    old_id = first["series_id"]
    rows = await _rows(conn, old_id)  # 5 Jan, 12, 19, 26, (2 Feb excluded), 9 Feb
    assert len(rows) == 5
    row, _ = await service.split_series(
        conn, await service.occurrence_of(conn, rows[2]["id"]),
        {"title": "Late jazz", "starts_at": rows[2]["starts_at"] + timedelta(hours=1)},
        recurrence=None, settings=SETTINGS, now=NOW,
    )
    assert row is not None and row["id"] == rows[2]["id"] and row["series_id"] != old_id
    old, new = await _rows(conn, old_id), await _rows(conn, row["series_id"])
    assert [r["id"] for r in old] == [r["id"] for r in rows[:2]]
    assert [r["id"] for r in new] == [r["id"] for r in rows[2:]]
    assert {r["title"] for r in old} == {"Jazz night"} and {r["title"] for r in new} == {"Late jazz"}
    assert {r["starts_at"].astimezone(PARIS_ZONE).hour for r in new} == {20}
    cur = await conn.execute("SELECT id, rrule, exdates FROM event_series ORDER BY created_at, rrule")
    rules = {r["id"]: r for r in await cur.fetchall()}
    assert rules[old_id]["rrule"].startswith("FREQ=WEEKLY;UNTIL=20270119T")
    assert rules[row["series_id"]]["rrule"] == "FREQ=WEEKLY;COUNT=4"  # 19 Jan .. 9 Feb, 2 Feb excluded
    assert rules[row["series_id"]]["exdates"] == [datetime(2027, 2, 2, 20)]  # moved with the series


@pytest.mark.parametrize(
    ("rrule", "says"),
    [
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY=XX"),
        ("FREQ=DAILY;COUNT=5000", "more than 730"),
        ("FREQ=SECONDLY", "FREQ=SECONDLY"),
    ],
)
async def test_refused_rules_write_nothing(conn: Any, rrule: str, says: str) -> None:
    with pytest.raises(InvalidRecurrence, match=says):
        await _create(conn, _series(await _organizer(conn), rrule))
    cur = await conn.execute("SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM event_series) AS n")
    assert (await cur.fetchone())["n"] == 0


async def test_an_unbounded_rule_is_capped_at_the_horizon_and_the_job_extends_it(
    conn: Any, settings: Settings
) -> None:
    first, _ = await _create(conn, _series(await _organizer(conn), "FREQ=WEEKLY;BYDAY=TU"))
    await conn.commit()
    rows = await _rows(conn, first["series_id"])
    assert rows[-1]["starts_at"] < NOW + timedelta(days=365) <= rows[-1]["starts_at"] + timedelta(days=7)
    clock = FrozenClock(NOW + timedelta(days=60))
    context = await build_context(settings, clock=clock)
    try:
        assert await extend_horizons(context) == 1
        assert await extend_horizons(context) == 0  # idempotent: nothing left behind the horizon
    finally:
        await close_context(context)
    extended = await _rows(conn, first["series_id"])
    assert len(extended) - len(rows) in (8, 9)  # 60 more days of Tuesdays
    assert extended[: len(rows)] == rows
    assert {r["starts_at"].astimezone(PARIS_ZONE).hour for r in extended} == {19}
    cur = await conn.execute("SELECT materialised_until FROM event_series")
    assert (await cur.fetchone())["materialised_until"] == clock.now + timedelta(days=365)
